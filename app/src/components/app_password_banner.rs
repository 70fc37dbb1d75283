//! The app-password retirement banner shown on every page.

use crate::api::app_passwords::AppPasswordNotice;
use crate::resource::server_resource;
use leptos::prelude::*;
use tokenwarden::app_passwords::Phase;

/// The banner on every page while the signed-in user still has app passwords
/// after creation has closed. Rendered on the server only.
#[component]
pub fn AppPasswordBanner() -> impl IntoView {
    let notice = server_resource(|| (), |_| AppPasswordNotice {});
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let notice = notice.await.ok().flatten()?;
                let count = if notice.active == 1 { "1 app password".to_string() } else { format!("{} app passwords", notice.active) };
                let message = match notice.phase {
                    Phase::Retired { on } => format!("App passwords were retired on {on} and no longer work; you still have {count}."),
                    Phase::CreationClosed { cutoff_on: Some(c) } => format!("You still use {count}. App passwords stop working on {c}."),
                    _ => format!("You still use {count}. App passwords are being retired."),
                };
                Some(view! {
                    <div class="banner" role="alert">
                        {message} " " <a href="/account/app-passwords">"Replace them with API tokens"</a>
                    </div>
                })
            })}
        </Suspense>
    }
}
