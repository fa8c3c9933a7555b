"""A software WebAuthn authenticator for server-side tests: it answers Puchi's options exactly as a browser
and a platform authenticator would on the wire (attestation "none", ES256 signatures, a signature counter),
so the real ``webauthn`` verification runs. The browser itself is exercised in tests/e2e/test_passkeys.py."""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

UP, UV, AT = 0x01, 0x04, 0x40


@dataclass
class SoftAuthenticator:
    origin: str = "http://localhost"
    rp_id: str = "localhost"
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    credential_id: bytes = field(default_factory=lambda: os.urandom(16))
    user_handle: bytes | None = None
    counter: int = 0

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin,
                           "crossOrigin": False}).encode()

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def create(self, options: dict) -> dict:
        """The browser's answer to registration ``options`` (as the server sent them, JSON)."""
        self.user_handle = base64url_to_bytes(options["user"]["id"])
        self.counter += 1
        auth_data = (hashlib.sha256(self.rp_id.encode()).digest() + bytes([UP | UV | AT])
                     + struct.pack(">I", self.counter) + bytes(16)
                     + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key())
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        identifier = bytes_to_base64url(self.credential_id)
        return {"id": identifier, "rawId": identifier, "type": "public-key",
                "response": {"clientDataJSON": bytes_to_base64url(self._client_data("webauthn.create",
                                                                                      options["challenge"])),
                             "attestationObject": bytes_to_base64url(attestation), "transports": ["internal"]},
                "clientExtensionResults": {}}

    def get(self, options: dict, *, counter: int | None = None) -> dict:
        """The browser's answer to authentication ``options``; ``counter`` forces a signature counter."""
        self.counter = self.counter + 1 if counter is None else counter
        auth_data = (hashlib.sha256(self.rp_id.encode()).digest() + bytes([UP | UV])
                     + struct.pack(">I", self.counter))
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        identifier = bytes_to_base64url(self.credential_id)
        return {"id": identifier, "rawId": identifier, "type": "public-key",
                "response": {"clientDataJSON": bytes_to_base64url(client_data),
                             "authenticatorData": bytes_to_base64url(auth_data),
                             "signature": bytes_to_base64url(signature),
                             "userHandle": bytes_to_base64url(self.user_handle) if self.user_handle else None},
                "clientExtensionResults": {}}
