"""The plugin kernel: what every bounded context is given and what it may contribute.

Each context (``hotline/<context>/plugin.py``) builds its parts from one fixed, typed set of shared
dependencies (:class:`~hotline.kernel.shared.Shared`) and declares what it adds
(:class:`~hotline.kernel.plugin.Plugin`): parts for routes and later plugins, AMI events it
consumes, work on every AMI (re)connect, a running lifetime, scheduled jobs and health figures.
``hotline/app.py`` composes the plugins; nothing here knows a context by name.
"""
