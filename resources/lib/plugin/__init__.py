"""The plugin front end: routes, directory views and the settings-button actions."""
