"""the encrypted model vault: models, versions, artifacts, wrapped keys, recipients, lineage

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('vault_meta',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vault_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('recovery_public', sa.LargeBinary(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vault_meta'))
    )
    op.create_table('vault_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('tags_json', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vault_models')),
    sa.UniqueConstraint('name', name=op.f('uq_vault_models_name'))
    )
    with op.batch_alter_table('vault_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vault_models_owner_id'), ['owner_id'], unique=False)

    op.create_table('vault_recovery_wraps',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_vault_recovery_wraps'))
    )
    op.create_table('vault_recipients',
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('granted_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['vault_models.id'], name=op.f('fk_vault_recipients_model_id_vault_models'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('model_id', 'user_id', name=op.f('pk_vault_recipients'))
    )
    op.create_table('vault_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('architecture', sa.String(length=200), nullable=False),
    sa.Column('parameter_count', sa.BigInteger(), nullable=False),
    sa.Column('dtype', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('metadata_json', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['vault_models.id'], name=op.f('fk_vault_versions_model_id_vault_models'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vault_versions')),
    sa.UniqueConstraint('model_id', 'number', name=op.f('uq_vault_versions_model_id'))
    )
    with op.batch_alter_table('vault_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vault_versions_model_id'), ['model_id'], unique=False)

    op.create_table('vault_artifacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('blob', sa.String(length=100), nullable=False),
    sa.Column('plaintext_size', sa.BigInteger(), nullable=False),
    sa.Column('stored_size', sa.BigInteger(), nullable=False),
    sa.Column('chunk_size', sa.Integer(), nullable=False),
    sa.Column('key_epoch', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['vault_versions.id'], name=op.f('fk_vault_artifacts_version_id_vault_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vault_artifacts')),
    sa.UniqueConstraint('uid', name=op.f('uq_vault_artifacts_uid')),
    sa.UniqueConstraint('version_id', 'name', name=op.f('uq_vault_artifacts_version_id'))
    )
    with op.batch_alter_table('vault_artifacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vault_artifacts_version_id'), ['version_id'], unique=False)

    op.create_table('vault_lineage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('ref', sa.String(length=200), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['vault_versions.id'], name=op.f('fk_vault_lineage_version_id_vault_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vault_lineage'))
    )
    with op.batch_alter_table('vault_lineage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vault_lineage_version_id'), ['version_id'], unique=False)

    op.create_table('vault_wrapped_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('artifact_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['artifact_id'], ['vault_artifacts.id'], name=op.f('fk_vault_wrapped_keys_artifact_id_vault_artifacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vault_wrapped_keys')),
    sa.UniqueConstraint('artifact_id', 'recipient', 'user_id', name=op.f('uq_vault_wrapped_keys_artifact_id'))
    )
    with op.batch_alter_table('vault_wrapped_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vault_wrapped_keys_artifact_id'), ['artifact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vault_wrapped_keys_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('vault_wrapped_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vault_wrapped_keys_user_id'))
        batch_op.drop_index(batch_op.f('ix_vault_wrapped_keys_artifact_id'))

    op.drop_table('vault_wrapped_keys')
    with op.batch_alter_table('vault_lineage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vault_lineage_version_id'))

    op.drop_table('vault_lineage')
    with op.batch_alter_table('vault_artifacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vault_artifacts_version_id'))

    op.drop_table('vault_artifacts')
    with op.batch_alter_table('vault_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vault_versions_model_id'))

    op.drop_table('vault_versions')
    op.drop_table('vault_recipients')
    op.drop_table('vault_recovery_wraps')
    with op.batch_alter_table('vault_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vault_models_owner_id'))

    op.drop_table('vault_models')
    op.drop_table('vault_meta')
