//! Legacy app passwords: a user creates (while creation is open), lists and
//! revokes their own; system admins set the retirement schedule, see every
//! active app password on the migration dashboard, and may revoke any.

use super::Postcard;
use crate::{
    error::AppError,
    model::{AppPasswordView, AppPasswordsOverview, CreatedAppPassword, MigrationDashboard, RetirementNotice},
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{
    authz::guard,
    request::{client_addr, parts, respond},
    store::app_passwords::{self, NewAppPassword},
};

/// My app passwords and where their retirement stands.
#[server(prefix = "/api", endpoint = "my_app_passwords", output = Postcard)]
pub async fn my_app_passwords() -> Result<AppPasswordsOverview, AppError> {
    respond(
        async {
            let (state, user) = guard::signed_in().await?;
            use tokenwarden::app_passwords::{creation_closed_message, Phase};
            let schedule = app_passwords::schedule(&state.db).await?;
            let phase = schedule.phase(chrono::Utc::now());
            Ok(AppPasswordsOverview {
                creation_closed: creation_closed_message(phase),
                cutoff_on: (phase == Phase::Open)
                    .then_some(schedule.cutoff_on)
                    .flatten()
                    .map(|d| d.to_string()),
                retired: matches!(phase, Phase::Retired { .. }),
                app_passwords: app_passwords::list_for_user(&state.db, user.id).await?,
            })
        }
        .await,
    )
}

/// Creates an app password for the signed-in user. Each permission field is
/// one classic scope identifier (the highest level chosen) or empty.
#[server(prefix = "/api", endpoint = "create_app_password", output = Postcard)]
pub async fn create_app_password(
    name: String,
    #[server(default)] account: String,
    #[server(default)] membership: String,
    #[server(default)] projects: String,
    #[server(default)] repositories: String,
) -> Result<CreatedAppPassword, AppError> {
    respond(
        async {
            use rand::RngCore;
            use tokenwarden::app_passwords::{parse_scopes, PlainAppPassword, MAX_ACTIVE_PER_USER, SECRET_BYTES};
            let (state, user) = guard::signed_in().await?;
            let name = tokenwarden::validate::display_name("name", &name)?;
            let scopes = parse_scopes(&[account, membership, projects, repositories])
                .map_err(|e| AppError::refused(&e.field, e.message))?;
            // Refuse early, before argon2 runs (the transaction that stores
            // it checks both again): the schedule, then the per-user limit.
            let schedule = app_passwords::schedule(&state.db).await?;
            if let Some(message) =
                tokenwarden::app_passwords::creation_closed_message(schedule.phase(chrono::Utc::now()))
            {
                return Err(AppError::refused("app_passwords", message));
            }
            if app_passwords::count_active_for_user(&state.db, user.id).await? >= MAX_ACTIVE_PER_USER as i64 {
                return Err(crate::ssr::store::StoreError::TooManyAppPasswords.into());
            }
            let mut random = [0u8; SECRET_BYTES];
            rand::rngs::OsRng.fill_bytes(&mut random);
            let secret = PlainAppPassword::new(random);
            let password_hash = state.passwords.hash(secret.expose().to_string()).await?;
            let address = client_addr(&parts()?);
            let app_password = app_passwords::create(
                &state.db,
                NewAppPassword {
                    user: &user,
                    name,
                    scopes,
                    password_hash,
                    client_addr: &address,
                },
            )
            .await?;
            Ok(CreatedAppPassword {
                app_password,
                username: user.username.clone(),
                secret: tokenwarden::secret::Secret::new(secret.expose()),
            })
        }
        .await,
    )
}

/// Revokes an app password: its owner's own, or anyone's for a system admin.
/// It stops working at once, on every app server.
#[server(prefix = "/api", endpoint = "revoke_app_password", output = Postcard)]
pub async fn revoke_app_password(id: i64) -> Result<AppPasswordView, AppError> {
    respond(
        async {
            let (state, user) = guard::signed_in().await?;
            let not_found = || AppError::NotFound("App password".into());
            let (owner_id, _) = app_passwords::find(&state.db, id).await?.ok_or_else(not_found)?;
            if owner_id != user.id && !user.is_system_admin {
                // Someone else's: as if it did not exist.
                return Err(not_found());
            }
            let address = client_addr(&parts()?);
            let revoked = app_passwords::revoke(&state.db, id, owner_id, &user, &address).await?;
            state.app_passwords.forget(id);
            Ok(revoked)
        }
        .await,
    )
}

/// The banner's facts: how many app passwords I still have once creation has
/// closed. `None` when there is nothing to say (or nobody is signed in).
#[server(prefix = "/api", endpoint = "app_password_notice", output = Postcard)]
pub async fn app_password_notice() -> Result<Option<RetirementNotice>, AppError> {
    respond(
        async {
            let state = crate::ssr::request::state()?;
            let Some(user) = crate::ssr::session::current_user(&state, &parts()?).await? else {
                return Ok(None);
            };
            let phase = app_passwords::schedule(&state.db).await?.phase(chrono::Utc::now());
            if phase == tokenwarden::app_passwords::Phase::Open {
                return Ok(None);
            }
            let active = app_passwords::count_active_for_user(&state.db, user.id).await?;
            Ok((active > 0).then_some(RetirementNotice { active, phase }))
        }
        .await,
    )
}

/// Every active app password, its owner and last use, and days left.
#[server(prefix = "/api", endpoint = "app_password_dashboard", output = Postcard)]
pub async fn app_password_dashboard() -> Result<MigrationDashboard, AppError> {
    respond(
        async {
            let (state, _) = guard::system_admin().await?;
            let schedule = app_passwords::schedule(&state.db).await?;
            let now = chrono::Utc::now();
            Ok(MigrationDashboard {
                schedule,
                phase: schedule.phase(now),
                days_left: schedule.days_left(now),
                active: app_passwords::list_active(&state.db).await?,
            })
        }
        .await,
    )
}

/// Sets when app password creation closes and when they stop working
/// (`YYYY-MM-DD`, empty for "not set").
#[server(prefix = "/api", endpoint = "set_app_password_schedule", output = Postcard)]
pub async fn set_app_password_schedule(
    #[server(default)] creation_closes_on: String,
    #[server(default)] cutoff_on: String,
) -> Result<(), AppError> {
    respond(
        async {
            let (state, user) = guard::system_admin().await?;
            let schedule = tokenwarden::app_passwords::Schedule {
                creation_closes_on: parse_date("creation_closes_on", &creation_closes_on)?,
                cutoff_on: parse_date("cutoff_on", &cutoff_on)?,
            };
            let address = client_addr(&parts()?);
            Ok(app_passwords::set_schedule(&state.db, schedule, &user, &address).await?)
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn parse_date(field: &str, raw: &str) -> Result<Option<chrono::NaiveDate>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| AppError::refused(field, format!("'{raw}' is not a date: use YYYY-MM-DD.")))
}
