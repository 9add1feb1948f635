"""Serve one OpenStack WSGI module with gunicorn (run with the venv's python).

usage: wsgi_run.py NAME MODULE[:FUNCTION] HOST:PORT [THREADS [OSLO_ARG...]]

MODULE's `application`, or what FUNCTION returns (the entry points of
older releases, such as nova.api.openstack.compute.wsgi:init_application).

oslo.config parses sys.argv when the application is built, so the
application module is imported with a clean argv ([NAME] + OSLO_ARGs, for
services such as Cinder that only find their config file through
--config-file) and gunicorn is
configured in code (BaseApplication does not read the command line).
Config files are found through the OS_<SERVICE>_CONFIG_DIR/FILES
environment variables that realcloud sets.
"""
import importlib
import sys

from gunicorn.app.base import BaseApplication


class App(BaseApplication):
    def __init__(self, name, module, bind, threads, oslo_args):
        self.name, self.module, self.bind, self.threads = (
            name, module, bind, threads)
        self.oslo_args = oslo_args
        super().__init__()

    def load_config(self):
        self.cfg.set('bind', [self.bind])
        self.cfg.set('workers', 1)
        self.cfg.set('worker_class', 'gthread')
        self.cfg.set('threads', self.threads)
        self.cfg.set('timeout', 300)
        self.cfg.set('graceful_timeout', 5)
        self.cfg.set('proc_name', 'realcloud-' + self.name)
        self.cfg.set('accesslog', '-')

    def load(self):
        sys.argv = [self.name] + self.oslo_args
        module, _, function = self.module.partition(':')
        loaded = importlib.import_module(module)
        return getattr(loaded, function)() if function else loaded.application


def main():
    name, module, bind = sys.argv[1:4]
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    oslo_args = sys.argv[5:]
    sys.argv = [name]
    App(name, module, bind, threads, oslo_args).run()


if __name__ == '__main__':
    main()
