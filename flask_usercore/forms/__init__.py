"""The account pages' forms (Flask-WTF: each carries its CSRF token), one module per
capability. A field is named as the API's body names it (``firstName``), so the API's
schema loads the form's values and its errors land on the right field
(:func:`flask_usercore.pages.framework.load_form`). Labels are translated when shown."""
