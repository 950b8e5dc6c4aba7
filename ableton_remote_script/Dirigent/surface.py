"""The Live glue: a ControlSurface that runs the core on Live's display timer."""

from __future__ import annotations

from _Framework.ControlSurface import ControlSurface  # Live's own framework

from .core import Core, UdpLink


class DirigentSurface(ControlSurface):
    """Shows up as the control surface "Dirigent" in Live's preferences."""

    def __init__(self, c_instance: object) -> None:
        ControlSurface.__init__(self, c_instance)
        self._link = UdpLink()
        self._core = Core(self.song(), self._link, self.log_message)
        self.log_message("Dirigent: talking to the daemon on 127.0.0.1:9000")

    def update_display(self) -> None:
        ControlSurface.update_display(self)
        try:
            self._core.tick()
        except Exception as e:  # never into Live
            self.log_message(f"Dirigent: tick failed: {e}")

    def disconnect(self) -> None:
        self._link.close()
        ControlSurface.disconnect(self)
