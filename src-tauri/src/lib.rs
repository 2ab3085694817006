//! The desktop shell of Xinfang Desk. It chooses where the register lives (this PC as the
//! centre host, or another PC on the LAN as a desk client), and hands every UI call to the one
//! operation list of `xinfang_core` (or to the host over HTTP). No rule and no SQL lives here.

mod commands;
mod config;
mod state;

use tauri::Manager;

/// Builds and runs the app until its last window closes.
pub fn run() {
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            // A second start (a double click on the icon) brings the running window forward
            // instead of opening a second register writer.
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .setup(|app| {
            let dirs = config::Dirs {
                config: app.path().app_config_dir()?,
                data: app.path().app_data_dir()?,
            };
            app.manage(state::DeskState::load(dirs));
            if let Some(window) = app.get_webview_window("main") {
                lighten_webview(&window);
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::op_call,
            commands::changes_wait,
            commands::app_status,
            commands::app_setup,
            commands::lan_pair_code,
            commands::lan_desks,
            commands::lan_desk_revoke,
        ])
        .build(tauri::generate_context!())
        .expect("the Tauri context is generated at build time and is valid");
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            // Fold the WAL back into the register file so it is whole on its own.
            handle.state::<state::DeskState>().shutdown();
        }
    });
}

/// WebKitGTK's defaults are a web browser's: GPU compositing, and memory caches sized for
/// many sites and back/forward navigation. The shell shows one local page of forms and
/// tables, so it asks for neither. Measured with a 100k-case register (docs/benchmarks.md),
/// compositing off takes the window's process tree from about 500 MB to about 370 MB, and it
/// is also the usual cure for a blank WebKitGTK window on a machine whose GPU driver is poor.
/// `XINFANG_GPU=1` keeps WebKit's own policy, for a machine where GPU drawing is wanted.
#[cfg(target_os = "linux")]
fn lighten_webview(window: &tauri::WebviewWindow) {
    let gpu = std::env::var("XINFANG_GPU").is_ok_and(|v| v == "1");
    let _ = window.with_webview(move |webview| {
        use webkit2gtk::{
            CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
        };
        let view = webview.inner();
        if let Some(context) = view.context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
        if !gpu && let Some(settings) = WebViewExt::settings(&view) {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    });
}

#[cfg(not(target_os = "linux"))]
fn lighten_webview(_window: &tauri::WebviewWindow) {}
