"""ML2 mechanism driver that binds every port, on any segment.

There are no agents in realcloud, so no real mechanism driver would bind a
port; Nova refuses to boot with an unbound port. This one binds with the
`other` VIF type (which os-vif/Nova's FakeDriver accept) and marks the
port ACTIVE, as an agent would once it wired the port.
"""
from neutron_lib import constants
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api


class BindAllMechanismDriver(api.MechanismDriver):
    def initialize(self):
        pass

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(
                segment[api.ID],
                portbindings.VIF_TYPE_OTHER,
                {portbindings.VIF_DETAILS_CONNECTIVITY:
                    portbindings.CONNECTIVITY_L2},
                status=constants.PORT_STATUS_ACTIVE)
            return
