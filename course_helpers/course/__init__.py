"""The course's machinery, which lessons do not call by name.

- ``settings``, ``models``: the ``.env`` settings and the model per purpose;
  ``backends``: ``setup()``, which picks the OpenAI API or the built-in local server.
- ``doctor``, ``start``, ``paths``: the classroom checklist, copying the sheets into
  ``my_work/``, and where the course's folders are.
- ``exercises``, ``notebooks``: the pipeline that builds exercise sheets from solutions,
  and reading/cleaning/executing notebooks.
- ``aging``, ``model_ages``: which files name a model whose shutdown is near.

``python -m course_helpers`` (``__main__.py``) is their command line.
"""
