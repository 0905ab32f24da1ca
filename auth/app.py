"""The auth HTTP API: `POST /register` and `POST /login`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import FastAPI, Header, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from auth.db import DB_UNAVAILABLE, Database, DatabaseUnavailable
from auth.guard import BodyGuard
from auth.models import User, username_key
from auth.passwords import Hasher
from auth.schemas import Credentials, ErrorOut, TokenOut, UserOut
from auth.throttle import LoginThrottle
from common import metrics, tokens
from common.config import Settings, get_settings
from common.redis_client import UNAVAILABLE, connect
from common.serving import metrics_endpoint

log = logging.getLogger(__name__)

DB_DOWN_DETAIL = "the user database is unavailable; try again later"
WEB_DIR = FilePath(__file__).resolve().parent.parent / "web"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = Database(settings)
    hasher = Hasher(settings.bcrypt_rounds)
    redis = connect(settings)
    throttle = LoginThrottle(redis, settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            await db.ensure_schema()
        except DatabaseUnavailable as exc:
            log.error("user database unreachable at start-up (%s); answering 503 until it "
                      "returns", exc)
        yield
        await db.dispose()
        await redis.aclose()

    app = FastAPI(title="room auth", lifespan=lifespan)
    app.add_middleware(BodyGuard)
    app.state.db = db

    @app.exception_handler(RequestValidationError)
    async def invalid_body(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Name the field and the rule, never echo the input: it may hold a password.
        problems = []
        for error in exc.errors():
            if error["type"] == "json_invalid":
                problems.append("body: not valid JSON")
                continue
            parts = [part for part in error["loc"] if isinstance(part, str) and part != "body"]
            field = ".".join(parts) or "body"
            problems.append(f"{field}: {error['msg'].removeprefix('Value error, ')}")
        return JSONResponse({"detail": "; ".join(problems)}, status.HTTP_422_UNPROCESSABLE_CONTENT)

    @app.exception_handler(DatabaseUnavailable)
    async def database_down(_: Request, exc: DatabaseUnavailable) -> JSONResponse:
        metrics.DB_ERRORS.inc()
        log.error("user database unavailable: %s", exc)
        return JSONResponse({"detail": DB_DOWN_DETAIL}, status.HTTP_503_SERVICE_UNAVAILABLE)

    for error_type in DB_UNAVAILABLE:
        app.add_exception_handler(error_type, database_down)  # type: ignore[arg-type]

    @app.post("/register", status_code=status.HTTP_201_CREATED,
              responses={409: {"model": ErrorOut}, 503: {"model": ErrorOut}})
    async def register(body: Credentials) -> UserOut:
        """Create a user. 409 if the name is taken (compared without regard to case)."""
        await db.ensure_schema()
        password_hash = await hasher.hash(body.password)
        user = User(username=body.username, username_key=username_key(body.username),
                    password_hash=password_hash,
                    created_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0))
        try:
            async with db.sessions() as session, session.begin():
                session.add(user)
        except IntegrityError:
            metrics.REGISTRATIONS.labels("taken").inc()
            raise HTTPException(status.HTTP_409_CONFLICT, "username already taken") from None
        metrics.REGISTRATIONS.labels("created").inc()
        log.info("registered user %d (%s)", user.id, user.username)
        return UserOut(id=user.id, username=user.username,
                       created_at=user.created_at.replace(tzinfo=UTC))

    @app.post("/login", responses={401: {"model": ErrorOut}, 429: {"model": ErrorOut},
                                   503: {"model": ErrorOut}})
    async def login(body: Credentials, request: Request) -> TokenOut:
        """Exchange a name and password for a bearer token.

        Too many failures for the account or the address answer 429 with Retry-After.
        """
        account = username_key(body.username)
        address = request.client.host if request.client else "unknown"
        wait_s = await throttle.retry_after(account, address)
        if wait_s:
            metrics.LOGINS.labels("throttled").inc()
            log.warning("login throttled for %r from %s for %d s", body.username, address,
                        wait_s)
            raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                                f"too many failed logins; try again in {wait_s} s",
                                headers={"Retry-After": str(wait_s)})

        await db.ensure_schema()
        async with db.sessions() as session:
            user = await session.scalar(select(User).where(User.username_key == account))
        stored = user.password_hash if user is not None else None
        # Verify before deciding, so an unknown name costs one bcrypt like a wrong password.
        password_ok = await hasher.verify(body.password, stored)
        if user is None or not password_ok:
            metrics.LOGINS.labels("refused").inc()
            await throttle.failed(account, address)
            log.info("login refused for %r from %s", body.username, address)
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password",
                                headers={"WWW-Authenticate": "Bearer"})
        await throttle.succeeded(account, address)
        metrics.LOGINS.labels("ok").inc()
        token = tokens.issue(settings, user.id, user.username)
        log.info("login for user %d", user.id)
        return TokenOut(access_token=token, expires_in=settings.access_token_expire_minutes * 60)

    @app.get("/users/me", responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut},
                                     503: {"model": ErrorOut}})
    async def me(authorization: Annotated[str | None, Header()] = None) -> UserOut:
        """The bearer token's own user: 401 for a bad token, 404 if the user was deleted.
        Edges ask this before letting a token's holder into a room."""
        scheme, _, token = (authorization or "").partition(" ")
        try:
            if scheme.lower() != "bearer":
                raise tokens.TokenError("missing token")
            claims = tokens.verify(settings, token.strip())
        except tokens.TokenError as exc:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc),
                                headers={"WWW-Authenticate": "Bearer"}) from None
        await db.ensure_schema()
        async with db.sessions() as session:
            found = await session.get(User, claims.user_id) if claims.user_id < 2**31 else None
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such user")
        return UserOut(id=found.id, username=found.username,
                       created_at=found.created_at.replace(tzinfo=UTC))

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        """The process is up (answering at all)."""
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        """Ready to register and log in: the database and Redis both answer."""
        problems = []
        try:
            await db.ping()
        except DB_UNAVAILABLE as exc:
            problems.append(f"database unreachable: {type(exc).__name__}")
        try:
            await redis.ping()
        except UNAVAILABLE as exc:
            problems.append(f"redis unreachable: {exc}")
        body = {"status": "ready" if not problems else "not ready", "problems": problems}
        return JSONResponse(body, status_code=503 if problems else 200)

    @app.get("/play/client-config", include_in_schema=False)
    async def client_config(request: Request) -> dict[str, str]:
        """Where the browser client finds auth (here) and the edges."""
        host = request.url.hostname or "127.0.0.1"
        edge = settings.public_edge_url or f"ws://{host}:{settings.edge_port}"
        return {"auth_url": "", "edge_url": edge}

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/play/")

    # The browser client: plain HTML, CSS and JavaScript modules, no build step.
    app.mount("/play", StaticFiles(directory=WEB_DIR, html=True), name="play")

    app.add_api_route("/metrics", metrics_endpoint, include_in_schema=False)

    return app
