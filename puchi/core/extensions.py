"""Flask extensions, created unbound here and initialised by create_app()."""

from __future__ import annotations

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sock import Sock
from flask_wtf.csrf import CSRFProtect

babel = Babel()
compress = Compress()
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
sock = Sock()
limiter = Limiter(key_func=get_remote_address)
