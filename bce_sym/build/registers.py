"""Registers to buffers: each instruction program's SSA registers given scratch buffers, dead ones reused.

Internal to ``bce_sym.build``; the NumPy printer (``numpy_printer``) prints the lines :func:`allocate`
returns. Split from ``program`` (which builds the programs) for its size.
"""

from __future__ import annotations

from bce_sym.build.program import Instruction
from bce_sym.build.specs import CodegenError


def allocate(instructions: list[Instruction], results: list[str]) -> tuple[list[tuple], int, int]:
    """Assign every SSA register a scratch buffer (``f[k]`` float64, ``b[k]`` bool), reusing dead ones.

    Result registers are written to ``out`` (one result) or ``out[k]`` directly, and never reused.
    Returns (lines, float buffers, bool buffers), each line ``(ufunc, operand texts, destination text)``.
    """
    outputs = {r: ("out" if len(results) == 1 else f"out[{k}]") for k, r in enumerate(results)}
    last_use: dict[str, int] = {}
    for index, ins in enumerate(instructions):
        for operand in ins.operands:
            last_use[operand] = index
    free: dict[str, list[str]] = {"f": [], "b": []}
    used = {"f": 0, "b": 0}
    home: dict[str, str] = {}
    lines = []
    for index, ins in enumerate(instructions):
        operands = tuple(home.get(op, op) for op in ins.operands)
        # NOTE: select writes its destination before reading its operands, so its destination must not
        # alias them: free the dead operands only after choosing it. Ufuncs may write over an input.
        dying = [op for op in ins.operands if op.startswith("%") and last_use[op] == index and op not in outputs]
        if ins.ufunc != "select":
            for op in dying:
                free[_instruction_kind(instructions, op)].append(home[op])
        if ins.result in outputs:
            destination = outputs[ins.result]
        elif ins.ufunc == "select" and ins.operands[2] in dying:
            # NOTE: select copies its second operand first, so it may write over that operand in place.
            destination = home[ins.operands[2]]
            dying.remove(ins.operands[2])
        elif free[ins.kind]:
            destination = free[ins.kind].pop()
        else:
            destination = f"{ins.kind}[{used[ins.kind]}]"
            used[ins.kind] += 1
        if ins.ufunc == "select":
            for op in dying:
                free[_instruction_kind(instructions, op)].append(home[op])
        home[ins.result] = destination
        if ins.low:  # NOTE: a two-float instruction writes its pair (hi, lo) into two buffers
            if not free["f"]:
                free["f"].append(f"f[{used['f']}]")
                used["f"] += 1
            home[ins.low] = free["f"].pop()
            destination = f"({destination}, {home[ins.low]})"
        lines.append((ins.ufunc, operands, destination))
    return lines, used["f"], used["b"]


def _instruction_kind(instructions: list[Instruction], register: str) -> str:
    """The buffer kind ("f" or "b") of an SSA register."""
    for ins in instructions:
        if ins.result == register or ins.low == register:
            return ins.kind
    raise CodegenError(f"register {register} is never written")
