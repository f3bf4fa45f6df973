"""OAuth state: device codes (the device flow), access/refresh token pairs and their expiry.

Refresh tokens are single-use, as on Trakt: refreshing kills the old pair (both tokens).
"""

from __future__ import annotations

import secrets
import string
import time
from typing import Any, Dict, List, Optional

VERIFICATION_URL = "https://trakt.tv/activate"


class DeviceCode:
    __slots__ = ("device_code", "user_code", "created", "expires_at", "status", "last_poll")

    def __init__(self, device_code: str, user_code: str, expires_in: float) -> None:
        self.device_code, self.user_code = device_code, user_code
        self.created = time.time()
        self.expires_at = self.created + expires_in
        self.status = "pending"  # pending | approved | denied | used
        self.last_poll: Optional[float] = None


class TokenPair:
    __slots__ = ("access_token", "refresh_token", "created_at", "expires_at", "lifetime")

    def __init__(self, lifetime: float) -> None:
        self.access_token = secrets.token_hex(32)
        self.refresh_token = secrets.token_hex(32)
        self.created_at = time.time()
        self.lifetime = lifetime
        self.expires_at = self.created_at + lifetime


class OAuth:
    """Device codes and tokens. Callers hold the sandbox lock."""

    def __init__(
        self,
        token_lifetime: float = 86400,
        auto_approve: bool = False,
        device_interval: float = 5,
        device_expires_in: float = 600,
    ) -> None:
        self.token_lifetime = token_lifetime
        self.auto_approve = auto_approve
        self.device_interval = device_interval
        self.device_expires_in = device_expires_in
        self.devices: Dict[str, DeviceCode] = {}
        self._by_access: Dict[str, TokenPair] = {}
        self._by_refresh: Dict[str, TokenPair] = {}

    # -- device flow -------------------------------------------------------------------------
    def new_device_code(self) -> Dict[str, Any]:
        alphabet = string.ascii_uppercase + string.digits
        user_code = "".join(secrets.choice(alphabet) for _ in range(8))
        code = DeviceCode(secrets.token_hex(32), user_code, self.device_expires_in)
        self.devices[code.device_code] = code
        return {
            "device_code": code.device_code,
            "user_code": code.user_code,
            "verification_url": VERIFICATION_URL,
            "expires_in": _number(self.device_expires_in),
            "interval": _number(self.device_interval),
        }

    def find_device(self, user_code: str) -> Optional[DeviceCode]:
        for code in self.devices.values():
            if code.user_code == user_code or code.device_code == user_code:
                return code
        return None

    def poll(self, device_code: str) -> Any:
        """Return a token response dict, or the error status (int) Trakt would send."""
        code = self.devices.get(device_code)
        if code is None:
            return 404
        if code.status == "used":
            return 409
        now = time.time()
        if now >= code.expires_at:
            return 410
        if code.status == "denied":
            return 418
        too_fast = code.last_poll is not None and now - code.last_poll < self.device_interval
        code.last_poll = now
        if self.auto_approve and code.status == "pending":
            code.status = "approved"
        if too_fast:
            return 429
        if code.status == "pending":
            return 400
        code.status = "used"
        return self.issue()

    def device_list(self) -> List[Dict[str, Any]]:
        now = time.time()
        return [
            {
                "user_code": c.user_code,
                "device_code": c.device_code,
                "status": "expired"
                if c.status in ("pending", "approved") and now >= c.expires_at
                else c.status,
            }
            for c in self.devices.values()
        ]

    # -- tokens ------------------------------------------------------------------------------
    def issue(self) -> Dict[str, Any]:
        pair = TokenPair(self.token_lifetime)
        self._by_access[pair.access_token] = pair
        self._by_refresh[pair.refresh_token] = pair
        return _token_response(pair)

    def refresh(self, refresh_token: str) -> Optional[Dict[str, Any]]:
        pair = self._by_refresh.pop(refresh_token, None)
        if pair is None:
            return None
        self._by_access.pop(pair.access_token, None)
        return self.issue()

    def revoke(self, token: str) -> bool:
        pair = self._by_access.get(token) or self._by_refresh.get(token)
        if pair is None:
            return False
        self._by_access.pop(pair.access_token, None)
        self._by_refresh.pop(pair.refresh_token, None)
        return True

    def check_access(self, token: Optional[str]) -> bool:
        pair = self._by_access.get(token or "")
        return pair is not None and time.time() < pair.expires_at

    def expire_all(self) -> int:
        """Make every current access token expired (refresh tokens keep working)."""
        for pair in self._by_access.values():
            pair.expires_at = 0
        return len(self._by_access)


def _number(value: float) -> Any:
    return int(value) if float(value).is_integer() else value


def _token_response(pair: TokenPair) -> Dict[str, Any]:
    return {
        "access_token": pair.access_token,
        "token_type": "bearer",
        "expires_in": _number(pair.lifetime),
        "refresh_token": pair.refresh_token,
        "scope": "public",
        "created_at": int(pair.created_at),
    }
