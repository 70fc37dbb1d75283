#!/usr/bin/env python3
"""PyPI `bitbucketserver` (a Bitbucket Data Center client), used as its
users use it, against a live Tokenwarden.

    bitbucketserver_client.py <base URL> <username> <password>

The user must administer project WEB, which holds repository `website`.
Manages the user's personal access tokens with the password (list, create,
read, edit through the token object, delete through it), then lists
projects and repositories and creates one with a token it made. Prints one
JSON object of what it saw, for the Rust test to check; any exception ends
it with a non-zero exit and the traceback.
"""

import json
import sys

import bitbucketserver
from bitbucketserver.connection import BitbucketServerException


def main(url, username, password):
    seen = {}
    # The constructor reads application-properties and refuses to start
    # without a dotted version.
    bb = bitbucketserver.BitbucketServer(url, basic_auth=(username, password))
    seen["version"] = bb.server_info()["version"]
    seen["server_version"] = list(bb._server_version)

    seen["listed_before"] = len(bb.user_access_tokens(username))
    created = bb.create_user_access_token(username, "from python", ["PROJECT_WRITE", "REPO_WRITE"])
    seen["created"] = {
        "id": created.id,
        "name": created.name,
        "permissions": created.permissions,
        "user_slug": created.user.slug,
        "has_secret": bool(created.token),
        "expiryDate": created._raw.get("expiryDate"),
        "status": bb.conn.last_response.status_code,
    }
    seen["username_after_create"] = bb.conn.last_response.headers.get("X-AUSERNAME")

    read = bb.user_access_token(username, created.id)
    seen["read"] = {"name": read.name, "has_secret": "token" in read._raw}

    # The token object edits itself (by its `user.slug`): only the name.
    created.update(token_name="renamed by python")
    again = bb.user_access_token(username, created.id)
    seen["edited"] = {"name": again.name, "permissions": again.permissions}
    seen["listed_after_create"] = [t.name for t in bb.user_access_tokens(username)]

    # The resource API, with the token just made (Bearer), as a CI job would.
    tb = bitbucketserver.BitbucketServer(url, bearer_token=created.token)
    seen["projects"] = [p.key for p in tb.projects()]
    seen["project_name"] = tb.project("WEB").name
    seen["repos"] = [r.slug for r in tb.repos("WEB")]
    website = tb.repo("WEB", "website")
    seen["repo"] = {"slug": website.slug, "project": website.project.key, "repr": repr(website)}
    seen["clone"] = [link.href for link in website.links.clone if link.name == "http"]
    seen["token_username"] = tb.username
    made = tb.create_repo("WEB", "Made By Python", description="a description is ignored")
    seen["created_repo"] = {"slug": made.slug, "name": made.name, "scmId": made.scmId}

    # A token kept for Git (the test clones and pushes with it).
    for_git = bb.create_user_access_token(username, "python git", ["REPO_WRITE"])
    seen["git_token"] = for_git.token

    # The token object deletes itself; reading it then is a Data Center error.
    created.delete()
    seen["deleted_status"] = bb.conn.last_response.status_code
    try:
        bb.user_access_token(username, created.id)
        seen["after_delete"] = "still readable"
    except BitbucketServerException as e:
        seen["after_delete"] = {
            "status": e.response.status_code,
            "exceptionName": e.errors[0].get("exceptionName"),
            "message": str(e),
        }

    # A wrong password: Data Center's error shape, which the client raises.
    try:
        wrong = bitbucketserver.BitbucketServer(url, basic_auth=(username, "wrong password"))
        wrong.user_access_tokens(username)
        seen["wrong_password"] = "accepted"
    except BitbucketServerException as e:
        seen["wrong_password"] = {
            "status": e.response.status_code,
            "content_type": e.response.headers.get("Content-Type"),
            "message": str(e),
        }

    print(json.dumps(seen))


if __name__ == "__main__":
    main(*sys.argv[1:4])
