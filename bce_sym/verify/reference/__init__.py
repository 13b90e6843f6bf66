"""References: exact values from mpmath (``mpmath_values``, its formulas in ``mpmath_forms``) and the float64
two-float reference of exhaustive sweeps (``two_float``, proven equal to the stable forms in
``two_float_proof``)."""
