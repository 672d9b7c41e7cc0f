"""MovieRec settings: one module, driven by environment variables.

Production differs from a laptop only through variables (see .env.example). They come from the environment, or
from a ``.env`` file in the project folder (``ENV_FILE`` names another), which never overrides a variable that
is already set. ``make demo`` writes a development one. A value that cannot be used stops the process with a
message naming it.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import environ
from django.core.exceptions import ImproperlyConfigured

from movierec.lib.env import EnvError, env_bool, env_float, env_int, env_list, env_path, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
ENV_FILE = Path(os.environ.get("ENV_FILE") or BASE_DIR / ".env")
if ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE, overwrite=False)

try:
    DEBUG = env_bool("DEBUG", default=False)
    VAR_DIR = env_path("VAR_DIR", BASE_DIR / "var")
    _secret = env_str("SECRET_KEY", default="" if not DEBUG else "insecure-dev-key-set-SECRET_KEY-in-production")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
    DATABASE_URL = env_str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'movierec.sqlite3'}")
    REDIS_URL = env_str("REDIS_URL", default="")
    MODEL_DIR = env_path("MODEL_DIR", VAR_DIR / "models")
    # Where model artifacts are shared between hosts (docs/deploy.md): empty on one host (MODEL_DIR holds
    # them), s3://bucket/prefix for an S3-compatible store (django-storages; AWS_S3_ENDPOINT_URL and the
    # AWS_* credentials as boto3 reads them), or file:///path for a shared mount. MODEL_DIR is then each
    # host's local cache.
    ARTIFACT_STORE = env_str("ARTIFACT_STORE", default="")
    MOVIELENS_DIR = env_path("MOVIELENS_DIR", BASE_DIR.parent / "shared" / "datasets")
    MEDIA_ROOT = env_path("MEDIA_ROOT", VAR_DIR / "media")
    # Optional enrichment from TMDB (posters, overviews, runtimes, directors and cast): off without a key.
    TMDB_API_KEY = env_str("TMDB_API_KEY", default="")
    TMDB_API_URL = env_str("TMDB_API_URL", default="https://api.themoviedb.org/3")
    TMDB_IMAGE_URL = env_str("TMDB_IMAGE_URL", default="https://image.tmdb.org/t/p")
    # TMDB allows about 50 requests a second; staying well under it leaves room for other clients of one key.
    TMDB_REQUESTS_PER_SECOND = env_int("TMDB_REQUESTS_PER_SECOND", 20, minimum=1)
    TMDB_TIMEOUT_SECONDS = env_int("TMDB_TIMEOUT_SECONDS", 10, minimum=1)
    RETRAIN_DEBOUNCE_SECONDS = env_int("RETRAIN_DEBOUNCE_SECONDS", 30, minimum=0)
    RETRAIN_SWEEP_SECONDS = env_int("RETRAIN_SWEEP_SECONDS", 60, minimum=1)
    TRAINING_STALE_SECONDS = env_int("TRAINING_STALE_SECONDS", 300, minimum=1)
    RECOMMENDER_FAST = env_bool("RECOMMENDER_FAST", default=False)
    TRAINING_TIME_BUDGET_SECONDS = env_int("TRAINING_TIME_BUDGET_SECONDS", 480, minimum=0)
    # A retrain serves its holdout fit, the very models the guardrail measured, when the holdout kept back at
    # most this share of the ratings (5,000 people's latest: 0.5% of 1M, 0.02% of 25M); above it, it refits on
    # everything. 0: always refit.
    TRAINING_REFIT_SHARE = env_float("TRAINING_REFIT_SHARE", 0.01, minimum=0.0, maximum=1.0)
    # How long a person's fold-in into a model stays in the shared "folds" cache (0: every process folds alone).
    FOLD_IN_TTL_SECONDS = env_int("FOLD_IN_TTL_SECONDS", 86_400, minimum=0)
    # After an activation the worker folds this many of the most recently active people in (0: none).
    FOLD_WARM_PEOPLE = env_int("FOLD_WARM_PEOPLE", 10_000, minimum=0)
    # After the data changes, the Insights charts shown may be this old while a worker redraws them.
    INSIGHTS_REFRESH_SECONDS = env_int("INSIGHTS_REFRESH_SECONDS", 300, minimum=0)
    # The blend's training also replays the home page's rows on its holdout (fitting every family once more).
    MEASURE_SERVED_ROWS = env_bool("MEASURE_SERVED_ROWS", default=True)
    # Refuse a new version that concentrates recommendations noticeably more than the active one (Gini, the
    # share of the most popular 1%); off, the models page only warns.
    GUARDRAIL_REFUSE_CONCENTRATION = env_bool("GUARDRAIL_REFUSE_CONCENTRATION", default=False)
    DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
    # PostgreSQL: prepare a statement after this many runs on a connection (0: never; for a PgBouncer in
    # transaction mode older than 1.21, which cannot keep prepared statements).
    DB_PREPARE_THRESHOLD = env_int("DB_PREPARE_THRESHOLD", 5, minimum=0)
    # With DEBUG off, mail goes out over SMTP (EMAIL_HOST...): a password-reset link never lands in a log.
    EMAIL_BACKEND = env_str(
        "EMAIL_BACKEND",
        default="django.core.mail.backends.console.EmailBackend"
        if DEBUG
        else "django.core.mail.backends.smtp.EmailBackend",
    )
    EMAIL_HOST = env_str("EMAIL_HOST", default="localhost")
    EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
    DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="MovieRec <noreply@movierec.local>")
    LOG_LEVEL = env_str("LOG_LEVEL", default="INFO").upper()
    API_PAGE_SIZE = env_int("API_PAGE_SIZE", 20, minimum=1)
    API_THROTTLE_ANON = env_rate("API_THROTTLE_ANON", "60/minute")
    API_THROTTLE_USER = env_rate("API_THROTTLE_USER", "600/minute")
    API_THROTTLE_AUTH = env_rate("API_THROTTLE_AUTH", "10/minute")
    API_THROTTLE_SIGNUP = env_rate("API_THROTTLE_SIGNUP", "5/hour")
    #: How many reverse proxies in front of the site add to X-Forwarded-For. 0: the header is ignored, and the
    #: client is the socket's address; a client can then not pick its own address for throttles and lockouts.
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0, minimum=0)
    #: HTTPS is terminated by a proxy that sets X-Forwarded-Proto (trust that header only then).
    PROXY_SETS_FORWARDED_PROTO = env_bool("PROXY_SETS_FORWARDED_PROTO", default=False)
    API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 30, minimum=1)
    LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
    LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
    # Both commit every subdomain to HTTPS for the HSTS lifetime: a choice for the domain's owner, off by default.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
except EnvError as error:
    raise ImproperlyConfigured(str(error)) from None

if not _secret:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
SECRET_KEY = _secret

try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE)}
except Exception as error:  # dj-database-url raises several types for a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a usable database URL: {error}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_PREPARE_THRESHOLD:
    # Every API call and row runs the same few queries (the token, the fingerprints, the movies); planning them
    # cost PostgreSQL more than running them (0.65 ms against 0.1 ms for the token's). Server-side binding lets
    # psycopg prepare a statement once it recurs on a connection, so each is planned once per connection: on the
    # API benchmark (scripts/bench/api.sh, 1M shape) kept Top picks went from 410 and 430 req/s to 484 and 511.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=DB_PREPARE_THRESHOLD
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets the web server and the worker read while the other writes.
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "rest_framework",
    "knox",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "movierec.accounts",
    "catalog",
    "ratings",
    "recommender",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: it turns a sign-in that django-axes refused into the lockout answer (accounts.lockout).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: it refuses a locked-out account or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# django-axes: lock an account, and separately an address, after repeated failures; a success resets them.
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "movierec.accounts.lockout.client_address"
AXES_LOCKOUT_CALLABLE = "movierec.accounts.lockout.lockout_response"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # the database, not the cache: Redis may be down
AXES_VERBOSE = False

# django-rest-knox: one hashed, expiring token per signed-in device (movierec.accounts.models.DeviceToken).
KNOX_TOKEN_MODEL = "accounts.DeviceToken"
# knox's own migrations create its AuthToken table even when the model is swapped out; that orphan table would
# keep a foreign key to auth_user that nothing deletes through. Our model has the migrations.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_TTL": timedelta(days=API_TOKEN_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
}

# django-csp: the site's own files only. HTMX's indicator styles are in site.css (includeIndicatorStyles off);
# style *attributes* stay allowed for the generated poster colours and progress bars (they cannot run code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "movierec.urls"
WSGI_APPLICATION = "movierec.wsgi.application"
ASGI_APPLICATION = "movierec.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "catalog.context_processors.tmdb",
                "catalog.context_processors.rating_examples",
            ],
        },
    },
    {
        # The movie cards and their controls (movierec/jinja2.py says why); Django templates draw them by tag.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "movierec.jinja2.environment"},
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

if ARTIFACT_STORE.startswith("s3://"):
    _bucket, _, _prefix = ARTIFACT_STORE.removeprefix("s3://").partition("/")
    STORAGES["artifacts"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _bucket,
            "location": _prefix.strip("/"),
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "file_overwrite": False,  # a name already there is an earlier, half-finished upload: refuse it
            "default_acl": "private",
        },
    }
elif ARTIFACT_STORE.startswith("file://"):
    STORAGES["artifacts"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": ARTIFACT_STORE.removeprefix("file://"), "base_url": None},
    }
elif ARTIFACT_STORE:
    raise ImproperlyConfigured(f"ARTIFACT_STORE must start with s3:// or file://, not {ARTIFACT_STORE!r}")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# With REDIS_URL set, Redis carries the broker and the cache, always: a process started during an outage keeps
# retrying it (and the durable change counter plus the sweep cover the gap), never switches to a second broker
# that no worker reads. Only with REDIS_URL unset does an embedded transport (files under var/) let `make demo`
# run on a laptop with no server.
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Publishing (a rating's on-commit enqueue) must not hang on a dead broker: one quick retry, then the
    # caller logs it and the training sweep catches up. The worker's reconnects have their own retry settings.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "visibility_timeout": 3600,
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
    }
    # django-redis with IGNORE_EXCEPTIONS: when Redis is down a read misses and a write is dropped (and logged), so
    # throttles and cached pages are skipped and everything else answers; /healthz reports it.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.3, "SOCKET_TIMEOUT": 0.5},
        },
        # People's fold-ins, shared by every web process (recommender.foldins). Errors are not ignored here:
        # the fold store sees them and stops asking for a while, so an outage costs one timeout, not one a model.
        "folds": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "movierec",
            "TIMEOUT": FOLD_IN_TTL_SECONDS,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        },
    }
else:
    for folder in ("queue", "processed", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    # The files are local: naming localhost keeps kombu from warning "No hostname was supplied" in every process.
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        # Broadcasts (worker pings, control commands) also live under var/, not in the working directory.
        "control_folder": str(BROKER_DIR / "control"),
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "folds": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "folds",
            "TIMEOUT": FOLD_IN_TTL_SECONDS,
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        },
    }

# A cache failure that django-redis ignores is still logged, under this name.
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "movierec.cache"

CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Training is heavy and may get hosts of its own (GPU); everything else is quick and stays on "default".
CELERY_TASK_ROUTES = {
    "recommender.tasks.family_retrain_task": {"queue": "training"},
    # Minutes of scoring after each activation: beside the training, never ahead of the quick tasks.
    "recommender.tasks.folds_warm_task": {"queue": "training"},
}
CELERY_BEAT_SCHEDULE = {
    "training-sweep": {
        "task": "recommender.tasks.training_sweep_task",
        "schedule": float(RETRAIN_SWEEP_SECONDS),
        # A sweep still waiting when the next one is due is dropped, so a stopped worker does not pile them up.
        "options": {"expires": float(RETRAIN_SWEEP_SECONDS)},
    },
    # Impressions wait in Redis until this moves them into the database (recommender.online).
    "impressions-flush": {
        "task": "recommender.tasks.impressions_flush_task",
        "schedule": 5.0,
        "options": {"expires": 5.0},
    },
    # Expired API tokens never sign in; deleting them here spares every API request knox's sweep of them.
    "tokens-expired-delete": {
        "task": "movierec.accounts.tasks.tokens_expired_delete_task",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Token first: an anonymous request then gets 401 with WWW-Authenticate, not 403.
    # Session auth lets the browser use the API; DRF enforces CSRF on its writes.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "movierec.accounts.auth.DeviceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["movierec.api.parsers.JSONParserWithDepthLimit"],
    "DEFAULT_PAGINATION_CLASS": "movierec.api.pagination.Pagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's rates, counted in one cache operation a request (movierec.api.throttling).
        "movierec.api.throttling.AnonWindowThrottle",
        "movierec.api.throttling.UserWindowThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": API_THROTTLE_ANON,
        "user": API_THROTTLE_USER,
        "auth": API_THROTTLE_AUTH,
        "signup": API_THROTTLE_SIGNUP,
    },
    "NUM_PROXIES": TRUSTED_PROXIES,
    "EXCEPTION_HANDLER": "movierec.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MovieRec API",
    "DESCRIPTION": "Movies, ratings, feedback and personalized recommendations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's files come from the sidecar package: the docs page needs no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "movierec.api.errors.document_error_responses",
    ],
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if PROXY_SETS_FORWARDED_PROTO:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz answers over plain HTTP too: a load balancer probes the backend directly.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # django-axes logs every sign-in at INFO; its lockouts are WARNING.
        "axes": {"level": "WARNING"},
    },
}
