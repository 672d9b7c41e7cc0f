"""Staff rights in the API come from Django's model permissions, as they do in the admin.

Being staff only opens the door; each write (and each read of staff data) needs its permission: ``add_movie``
to add a movie, ``change_movie`` to edit one, ``view_modelversion`` to list model versions, and our own
``recommender.retrain_models`` to start a training run, ``recommender.inspect_recommendations`` to open the
recommendation inspector.
"""

from __future__ import annotations

from rest_framework import permissions

#: Our own permissions (recommender.ModelVersion.Meta.permissions).
RETRAIN = "recommender.retrain_models"
ACTIVATE = "recommender.activate_modelversion"
INSPECT = "recommender.inspect_recommendations"


class StaffModelPermissions(permissions.DjangoModelPermissions):
    """Staff with the model permission the method needs; reads need ``view_<model>`` too."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_staff) and super().has_permission(request, view)


def staff_with(permission: str) -> type[permissions.BasePermission]:
    """A permission class: staff who hold ``permission`` ("app_label.codename")."""

    class StaffWith(permissions.BasePermission):
        message = f"You need the {permission} permission."

        def has_permission(self, request, view) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and user.is_staff and user.has_perm(permission))

    StaffWith.__name__ = f"StaffWith_{permission.replace('.', '_')}"
    return StaffWith
