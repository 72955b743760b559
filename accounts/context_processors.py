from django.contrib.auth.models import AnonymousUser

from .policy import Access


def access(request):
    """`may`: the access policy's answers for the signed-in user, for headers and links."""
    # Error pages for requests refused before the middleware ran have no user.
    return {"may": Access(getattr(request, "user", None) or AnonymousUser())}
