import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echoes_site.settings")
application = get_wsgi_application()

from echoes_site.embedded_jobs import server_started  # noqa: E402

server_started()  # no broker: this server runs the jobs, in a job process of its own
