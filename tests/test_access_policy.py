"""Every role decision is made in accounts/policy.py: no other module or template reads a role."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ["core", "outbox", "countries", "accounts", "actions", "reviews", "regional", "summaries"]
APPS += ["rpa_tracker", "demo"]
# The policy decides; the model defines the roles and the database rule tying roles to states.
ALLOWED = {"accounts/policy.py", "accounts/models.py"}
QUERY_CALLS = {"filter", "exclude", "get", "Q"}
TEMPLATE_ROLE = re.compile(r"\.role\s*(==|!=|\bin\b|\bnot\b)|\.(is_state_user|can_invite)\b")


def _called_name(call):
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def role_decisions(source):
    """(line, what) of every role comparison, role query or getattr(…, "role") in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(side, ast.Attribute) and side.attr == "role" for side in sides):
                found.append((node.lineno, "compares .role"))
        elif isinstance(node, ast.Call):
            name = _called_name(node)
            if name == "getattr" and any(
                isinstance(arg, ast.Constant) and arg.value == "role" for arg in node.args
            ):
                found.append((node.lineno, 'getattr(…, "role")'))
            if name in QUERY_CALLS:
                for keyword in node.keywords:
                    if keyword.arg and keyword.arg.split("__")[0] == "role":
                        found.append((node.lineno, f"queries by {keyword.arg}"))
    return found


def test_only_the_policy_module_reads_roles():
    offences = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in ALLOWED or "/migrations/" in relative:
                continue
            for line, what in role_decisions(path.read_text()):
                offences.append(f"{relative}:{line}: {what}")
    assert offences == [], "ask accounts.policy instead:\n" + "\n".join(offences)


def test_no_template_reads_a_role():
    offences = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if TEMPLATE_ROLE.search(line)
    ]
    assert offences == [], "use `may` (accounts.context_processors.access):\n" + "\n".join(offences)


def test_the_check_finds_each_kind_of_role_decision():
    source = (
        "a = user.role == 'observer'\n"
        "b = user.role in ROLES\n"
        "c = getattr(user, 'role', None)\n"
        "d = User.objects.filter(role__in=ROLES)\n"
        "e = Q(role='reviewer')\n"
        "f = User.objects.create(role='reviewer')\n"
    )
    assert [line for line, _ in role_decisions(source)] == [1, 2, 3, 4, 5]
