"""Evidence exhibits: organisation keys (wrapped under the master key), organisation
signing keys, and the exhibits with their wrapped per-file keys."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_exhibits"
down_revision = "0003_totp_feeds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "org_keys",
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organisations.id"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("wrapped", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "org_signing_keys",
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organisations.id"), primary_key=True),
        sa.Column("private_wrapped", sa.Text, nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "exhibits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column(
            "org_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False, index=True
        ),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("title_enc", sa.Text, nullable=False),
        sa.Column("description_enc", sa.Text, nullable=True),
        sa.Column("source_enc", sa.Text, nullable=True),
        sa.Column("original_name_enc", sa.Text, nullable=True),
        sa.Column("public_url_enc", sa.Text, nullable=True),
        sa.Column("first_published", sa.Date, nullable=True),
        sa.Column("obtained", sa.Date, nullable=True),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_id", sa.String(32), nullable=False, unique=True),
        sa.Column("file_key_wrapped", sa.Text, nullable=False),
        sa.Column("org_key_version", sa.Integer, nullable=False, index=True),
        sa.Column("translation_of", sa.Integer, sa.ForeignKey("exhibits.id"), nullable=True),
        sa.Column("uploaded_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("case_id", "label", name="uq_exhibits_case_label"),
    )


def downgrade() -> None:
    op.drop_table("exhibits")
    op.drop_table("org_signing_keys")
    op.drop_table("org_keys")
