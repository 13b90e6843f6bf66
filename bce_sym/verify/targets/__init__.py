"""What ``bce-sym verify TARGET`` can check: bce_sym's own code, the frameworks, or ``MODULE:FUNCTION``.

``registry`` holds the named targets and turns a target and quantity into a NumPy-in, NumPy-out function;
``forms`` the ``Form`` row; one module per framework holds its rows of forms and how they are called:
``torch_forms`` (and ``torch_cuda_forms``: the same forms on a CUDA device), ``scipy_forms``,
``jax_forms``, ``tensorflow_forms``, ``keras_forms``, ``sklearn_forms``.
(NOTE: not ``torch.py`` and so on: a module named after a framework shadows it wherever its folder lands on
``sys.path``.) Frameworks are imported when a target is built, never when this package is.
"""
