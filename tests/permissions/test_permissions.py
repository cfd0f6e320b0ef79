"""Every path to a target's device memory, as an unprivileged user: each works exactly when
ptrace would, or refuses with EPERM and a reason, and never shows a byte of the target (see
matrix.py). One test per cell: target kind x Yama scope x path. The whole matrix is built
once, by the first test, and printed at the end of the run."""
import pytest

import matrix

CELLS = [(kind, scope, column) for kind, _ in matrix.KINDS for scope in matrix.SCOPES
         for column in matrix.COLUMNS]


@pytest.mark.parametrize("kind,scope,column", CELLS,
                         ids=[f"{k}-yama{s}-{c}".replace(" ", "_") for k, s, c in CELLS])
def test_cell(kind, scope, column):
    cell = matrix.build_once().cells[kind, scope, column]
    ref = "ptrace" if column in matrix.IN_PROCESS else "ptrace from a child of the debugger"
    allowed = "allowed" if cell.allowed else "refused"
    assert not cell.problems, f"{kind}, Yama {scope}, {column}: {ref} {allowed}: " + \
        "; ".join(f"{code}: {why}" for code, why in cell.problems)
