"""Shared model bases."""

from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    """History is kept forever: bulk edits and deletes are refused like single ones."""

    def update(self, **kwargs):
        raise ValueError(f"{self.model.__name__} rows are never edited.")

    def delete(self):
        raise ValueError(f"{self.model.__name__} rows are never deleted.")


class AppendOnlyModel(models.Model):
    """A record written once and kept forever (history, transitions, frozen submissions)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError(f"{type(self).__name__} rows are never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{type(self).__name__} rows are never deleted.")
