"""Test-only Kodi script: does one thing a JSON-RPC call cannot, then logs that it is done.

The harness runs it with `Addons.ExecuteAddon {"addonid": "script.aiostreams.testhelper",
"params": [<request>]}`, where <request> is the base64url of the JSON object
{"token": ..., "command": ..., "arguments": [...]}: Kodi splits plain params at commas and quotes.
Then it waits for `[AIOStreams TestHelper] done <token>` (or `failed <token>: ...`) in kodi.log,
because ExecuteAddon answers before the script runs.

Commands:
  builtin <text>                            xbmc.executebuiltin(text)
  set_setting <addon id> <id> <kind> <value>  kind: bool | int | string
  raise <message>                           raises RuntimeError, uncaught: Kodi logs a traceback
"""

import base64
import json
import sys
import traceback

import xbmc
import xbmcaddon

PREFIX = "[AIOStreams TestHelper]"


def _log(message):
    xbmc.log(f"{PREFIX} {message}", xbmc.LOGINFO)


def _set_setting(addon_id, setting_id, kind, value):
    addon = xbmcaddon.Addon(addon_id)
    if kind == "bool":
        addon.setSettingBool(setting_id, value.lower() == "true")
    elif kind == "int":
        addon.setSettingInt(setting_id, int(value))
    elif kind == "string":
        addon.setSetting(setting_id, value)
    else:
        raise ValueError("unknown setting kind: " + kind)


def main(argv):
    request = json.loads(base64.urlsafe_b64decode(argv[1].encode("ascii")).decode("utf-8"))
    token, command, arguments = request["token"], request["command"], request["arguments"]
    if command == "raise":
        raise RuntimeError(arguments[0] if arguments else "raised on request")
    try:
        if command == "builtin":
            xbmc.executebuiltin(arguments[0], True)
        elif command == "set_setting":
            _set_setting(*arguments)
        else:
            raise ValueError("unknown command: " + command)
    except Exception as error:  # every failure must reach the waiting test
        _log(f"failed {token}: {error!r}\n{traceback.format_exc()}")
        return
    _log(f"done {token}")


main(sys.argv)
