"""Two-factor sign-in (an encrypted TOTP secret and the last step used, per user) and the
secret-URL calendar feed tokens (stored as SHA-256 only)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_totp_feeds"
down_revision = "0002_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("totp_secret_enc", sa.Text, nullable=True))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger, nullable=True))
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_id", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
    # Not a rebuild of ``users`` (batch mode's default on SQLite): with foreign keys on,
    # dropping the old table fails while sessions, cases or notes point at its rows.
    # SQLite 3.35+ drops a plain column in place, as PostgreSQL does.
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_secret_enc")
