//! The banner on every page for a signed-in user warned about tokens that
//! expire within 7 days. Rendered on the server only (no client code).

use crate::api::tokens::ExpiringNotice;
use crate::resource::server_resource;
use leptos::prelude::*;

#[component]
pub fn ExpiryBanner() -> impl IntoView {
    let notice = server_resource(|| (), |_| ExpiringNotice {});
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let notice = notice.await.ok().flatten()?;
                let others = match notice.count - 1 {
                    0 => String::new(),
                    1 => " and 1 more token".into(),
                    n => format!(" and {n} more tokens"),
                };
                Some(view! {
                    <div class="banner" role="alert" data-test="expiry-banner">
                        {format!("Token \"{}\"{others} expire{} within 7 days (first on ", notice.first_name, if notice.count == 1 { "s" } else { "" })}
                        <crate::components::LocalDate at=notice.first_expires_at time=true />
                        "). "
                        <a href=notice.first_link>"Replace it before it stops working"</a>
                    </div>
                })
            })}
        </Suspense>
    }
}
