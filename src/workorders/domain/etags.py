"""`If-Match` as RFC 9110 says (13.1.1): the strong comparison, `*`, and lists of entity tags."""

from __future__ import annotations


def if_match_matches(if_match: str, version: int) -> bool:
    """Whether `If-Match` lets a change of a resource at `version` (served as ETag `"<version>"`) go
    ahead. `*` matches any existing resource; a weak tag (`W/"3"`) never matches, since If-Match uses
    the strong comparison; a list matches when one of its strong tags does."""
    value = if_match.strip()
    if value == "*":
        return True
    current = f'"{version}"'
    return any(tag.strip() == current for tag in value.split(","))
