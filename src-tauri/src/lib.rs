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
