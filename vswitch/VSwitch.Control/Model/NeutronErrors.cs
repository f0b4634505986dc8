using VSwitch.Packets;

namespace VSwitch.Control.Model;

/// <summary>
/// The refusals the operations can raise, with Neutron's error type names, status codes and messages.
/// </summary>
/// <remarks>
/// <para><b>Sources.</b> Security-group errors are the exception classes of <c>neutron/extensions/securitygroup.py</c>
/// (their <c>message</c> strings, with the typo "specifiy" of old releases corrected as Neutron did); generic ones are
/// <c>neutron_lib/exceptions/__init__.py</c> (NetworkNotFound, PortNotFound, NetworkInUse, MacAddressInUse,
/// IpAddressInUse, InvalidInput), <c>neutron_lib/exceptions/port_security.py</c> and
/// <c>neutron_lib/exceptions/allowedaddresspairs.py</c>. Neutron's class hierarchy fixes the status: NotFound is 404,
/// InUse and Conflict are 409, BadRequest and InvalidInput are 400.</para>
/// <para><b>Attribute validation.</b> Neutron's API layer validates each attribute before the plugin runs and answers
/// with the webob class name <c>HTTPBadRequest</c> and the text "Invalid input for ATTR. Reason: REASON."
/// (<see cref="InvalidAttribute"/>); a missing required attribute is "Failed to parse request. Required attribute
/// 'ATTR' not specified" (<see cref="MissingAttribute"/>).</para>
/// </remarks>
public static class NeutronErrors
{
    private static NeutronException BadRequest(string type, string message) => new(400, type, message);

    private static NeutronException NotFound(string type, string message) => new(404, type, message);

    private static NeutronException Conflict(string type, string message) => new(409, type, message);

    // ---- Generic request validation (Neutron's API layer) ----

    public static NeutronException InvalidAttribute(string attribute, string reason) =>
        BadRequest("HTTPBadRequest", $"Invalid input for {attribute}. Reason: {reason}.");

    public static NeutronException MissingAttribute(string attribute) =>
        BadRequest("HTTPBadRequest", $"Failed to parse request. Required attribute '{attribute}' not specified");

    public static NeutronException ReadOnlyAttribute(string attribute) =>
        BadRequest("HTTPBadRequest", $"Cannot update read-only attribute {attribute}");

    /// <summary>A validator message Neutron raises as is (allowed address pairs do this).</summary>
    public static NeutronException BadRequestMessage(string message) => BadRequest("HTTPBadRequest", message);

    public static NeutronException InvalidInput(string errorMessage) =>
        BadRequest("InvalidInput", $"Invalid input for operation: {errorMessage}.");

    public static NeutronException TooLong(string attribute, string value, int maxLength) =>
        InvalidAttribute(attribute, $"'{value}' exceeds maximum length of {maxLength}");

    public static NeutronException OverQuota(IEnumerable<string> resources) =>
        Conflict("OverQuota", $"Quota exceeded for resources: [{string.Join(", ", resources.Select(r => $"'{r}'"))}].");

    public static NeutronException DefaultSecurityGroupRuleNotFound(Guid id) =>
        NotFound("DefaultSecurityGroupRuleNotFound", $"Default Security Group rule {id} does not exist");

    public static NeutronException DefaultSecurityGroupRuleExists(Guid existingId) =>
        Conflict("DefaultSecurityGroupRuleExists", $"Default security group rule already exists. Rule id is {existingId}.");

    public static NeutronException AddressGroupNotFound(Guid id) =>
        NotFound("AddressGroupNotFound", $"Address group {id} could not be found.");

    public static NeutronException AddressGroupInUse(Guid id) =>
        Conflict("AddressGroupInUse", $"Address group {id} is in use on one or more security group rules.");

    public static NeutronException AddressesAlreadyExist(IEnumerable<string> addresses, Guid id) =>
        BadRequest("AddressesAlreadyExist", $"Addresses [{string.Join(", ", addresses.Select(a => $"'{a}'"))}] already exist in address group {id}.");

    public static NeutronException AddressesNotFound(IEnumerable<string> addresses, Guid id) =>
        NotFound("AddressesNotFound", $"Addresses [{string.Join(", ", addresses.Select(a => $"'{a}'"))}] not found in the address group {id}.");

    public static NeutronException RbacPolicyNotFound(Guid id) => NotFound("RbacPolicyNotFound", $"RBAC policy of type security_group with ID {id} not found");

    public static NeutronException DuplicateRbacPolicy() => Conflict("DuplicateRbacPolicy", "An RBAC policy already exists with those values.");

    public static NeutronException RbacPolicyInUse(Guid objectId) =>
        Conflict("RbacPolicyInUse", $"RBAC policy on object {objectId} cannot be removed because other objects depend on it.");

    /// <summary>Neutron's policy refusal (403): the caller's role or project may not do <paramref name="action"/>.</summary>
    public static NeutronException PolicyNotAuthorized(string action) => new(403, "PolicyNotAuthorized", $"rule:{action} is disallowed by policy");

    public static NeutronException TagNotFound(string tag) => NotFound("TagNotFound", $"Tag {tag} could not be found.");

    // ---- Networks and ports ----

    public static NeutronException NetworkNotFound(Guid id) => NotFound("NetworkNotFound", $"Network {id} could not be found.");

    public static NeutronException NetworkInUse(Guid id) =>
        Conflict("NetworkInUse", $"Unable to complete operation on network {id}. There are one or more ports still in use on the network.");

    public static NeutronException SubnetNotFound(Guid id) => NotFound("SubnetNotFound", $"Subnet {id} could not be found.");

    public static NeutronException SubnetInUse(Guid id) =>
        Conflict("SubnetInUse", $"Unable to complete operation on subnet {id}: One or more ports have an IP allocation from this subnet.");

    public static NeutronException InvalidAllocationPool(string pool) => BadRequest("InvalidAllocationPool", $"The allocation pool {pool} is not valid.");

    public static NeutronException OutOfBoundsAllocationPool(string pool, string cidr) =>
        BadRequest("OutOfBoundsAllocationPool", $"The allocation pool {pool} spans beyond the subnet cidr {cidr}.");

    public static NeutronException OverlappingAllocationPools(string first, string second, string cidr) =>
        Conflict("OverlappingAllocationPools", $"Found overlapping allocation pools: {first} and {second} for subnet {cidr}.");

    public static NeutronException GatewayConflictWithAllocationPools(string gateway, string pool) =>
        Conflict("GatewayConflictWithAllocationPools", $"Gateway ip {gateway} conflicts with allocation pool {pool}.");

    public static NeutronException GatewayIpInUse(string gateway, Guid portId) =>
        Conflict("GatewayIpInUse", $"Current gateway ip {gateway} already in use by port {portId}. Unable to update.");

    public static NeutronException IpAddressGenerationFailure(Guid networkId) =>
        Conflict("IpAddressGenerationFailure", $"No more IP addresses available on network {networkId}.");

    public static NeutronException InvalidIpForSubnet(string address) =>
        BadRequest("InvalidIpForSubnet", $"IP address {address} is not a valid IP for the specified subnet.");

    public static NeutronException InvalidIpForNetwork(string address) =>
        BadRequest("InvalidIpForNetwork", $"IP address {address} is not a valid IP for any of the subnets on the specified network.");

    public static NeutronException IpAddressAlreadyAllocated(string address, Guid subnetId) =>
        Conflict("IpAddressAlreadyAllocated", $"IP address {address} already allocated in subnet {subnetId}");

    public static NeutronException RouterNotFound(Guid id) => NotFound("RouterNotFound", $"Router {id} could not be found.");

    public static NeutronException RouterInUse(Guid id) => Conflict("RouterInUse", $"Router {id} still has ports.");

    public static NeutronException RouterInterfaceNotFound(Guid routerId, Guid portId) =>
        NotFound("RouterInterfaceNotFound", $"Router {routerId} does not have an interface with id {portId}.");

    public static NeutronException RouterInterfaceNotFoundForSubnet(Guid routerId, Guid subnetId) =>
        NotFound("RouterInterfaceNotFoundForSubnet", $"Router {routerId} has no interface on subnet {subnetId}.");

    public static NeutronException RouterInterfaceInUseByRoute(Guid routerId, Guid subnetId) =>
        Conflict("RouterInterfaceInUseByRoute", $"Router interface for subnet {subnetId} on router {routerId} cannot be deleted, as it is required by one or more routes.");

    public static NeutronException InvalidRoutes(string routes, string reason) =>
        BadRequest("InvalidRoutes", $"Invalid format for routes: {routes}, {reason}");

    public static NeutronException PortInUse(Guid portId, Guid networkId, string deviceId) =>
        Conflict("PortInUse", $"Unable to complete operation on port {portId} for network {networkId}. Port already has an attached device {deviceId}.");

    public static NeutronException ServicePortInUse(Guid portId, string owner) =>
        Conflict("ServicePortInUse", $"Port {portId} cannot be deleted directly via the port API: has device owner {owner}.");

    public static NeutronException ExternalNetworkInUse(Guid id) =>
        Conflict("ExternalNetworkInUse", $"External network {id} cannot be updated to be internal: router gateways or floating IPs use it.");

    public static NeutronException NetworkNotExternal(Guid id) => BadRequest("BadRequest", $"Network {id} is not a valid external network");

    public static NeutronException RouterExternalGatewayInUseByFloatingIp(Guid routerId, Guid networkId) =>
        Conflict("RouterExternalGatewayInUseByFloatingIp", $"Gateway cannot be updated for router {routerId}, since a gateway to external network {networkId} is required by one or more floating IPs.");

    public static NeutronException FloatingIpNotFound(Guid id) => NotFound("FloatingIPNotFound", $"Floating IP {id} could not be found");

    public static NeutronException ExternalGatewayForFloatingIpNotFound(Guid networkId, Guid subnetId, Guid portId) =>
        NotFound("ExternalGatewayForFloatingIPNotFound", $"External network {networkId} is not reachable from subnet {subnetId}. Therefore, cannot associate Port {portId} with a Floating IP.");

    public static NeutronException FloatingIpPortAlreadyAssociated(string fixedIp, Guid portId, Guid floatingIpId) =>
        Conflict("FloatingIPPortAlreadyAssociated", $"Cannot associate floating IP with port {portId} using fixed IP {fixedIp}, as that fixed IP already has a floating IP {floatingIpId}.");

    public static NeutronException PortNotFound(Guid id) => NotFound("PortNotFound", $"Port {id} could not be found.");

    public static NeutronException MacAddressInUse(Guid networkId, MacAddress mac) =>
        Conflict("MacAddressInUse", $"Unable to complete operation for network {networkId}. The mac address {mac} is in use.");

    public static NeutronException IpAddressInUse(Guid networkId, string address) =>
        Conflict("IpAddressInUse", $"Unable to complete operation for network {networkId}. The IP address {address} is in use.");

    /// <summary>Switch-specific: two ports cannot own one TAP or AF_PACKET interface.</summary>
    public static NeutronException DeviceInUse(string device, Guid otherPortId) =>
        Conflict("DeviceInUse", $"Device {device} is already used by port {otherPortId}.");

    public static NeutronException PortSecurityAndIPRequiredForSecurityGroups() =>
        BadRequest("PortSecurityAndIPRequiredForSecurityGroups",
            "Port security must be enabled and port must have an IP address in order to use security groups.");

    public static NeutronException PortSecurityPortHasSecurityGroup() =>
        Conflict("PortSecurityPortHasSecurityGroup",
            "Port has security group associated. Cannot disable port security or IP address until security group is removed.");

    public static NeutronException AddressPairAndPortSecurityRequired() =>
        Conflict("AddressPairAndPortSecurityRequired", "Port Security must be enabled in order to have allowed address pairs on a port.");

    public static NeutronException AllowedAddressPairsMissingIP() =>
        BadRequest("AllowedAddressPairsMissingIP", "AllowedAddressPair must contain ip_address");

    public static NeutronException DuplicateAddressPairInRequest(string mac, string ip) =>
        BadRequest("DuplicateAddressPairInRequest", $"Request contains duplicate address pair: mac_address {mac} ip_address {ip}.");

    // ---- Security groups ----

    public static NeutronException SecurityGroupNotFound(string ids) => NotFound("SecurityGroupNotFound", $"Security group {ids} does not exist");

    public static NeutronException SecurityGroupNotFound(Guid id) => SecurityGroupNotFound(id.ToString());

    public static NeutronException SecurityGroupInUse(Guid id) => Conflict("SecurityGroupInUse", $"Security Group {id} in use.");

    public static NeutronException SecurityGroupDefaultAlreadyExists() =>
        Conflict("SecurityGroupDefaultAlreadyExists", "Default security group already exists.");

    public static NeutronException SecurityGroupCannotUpdateDefault() =>
        Conflict("SecurityGroupCannotUpdateDefault", "Updating default security group not allowed.");

    public static NeutronException SecurityGroupCannotRemoveDefault() =>
        Conflict("SecurityGroupCannotRemoveDefault", "Insufficient rights for removing default security group.");

    /// <summary>Neutron's generic security-group conflict ("Error REASON while attempting the operation.").</summary>
    public static NeutronException SecurityGroupConflict(string reason) =>
        Conflict("SecurityGroupConflict", $"Error {reason} while attempting the operation.");

    public static NeutronException MixedStatefulGroups() =>
        SecurityGroupConflict("Cannot apply both stateful and stateless security groups on the same port at the same time");

    // ---- Security-group rules ----

    public static NeutronException SecurityGroupRuleNotFound(Guid id) =>
        NotFound("SecurityGroupRuleNotFound", $"Security group rule {id} does not exist");

    public static NeutronException SecurityGroupRuleExists(Guid existingRuleId) =>
        Conflict("SecurityGroupRuleExists", $"Security group rule already exists. Rule id is {existingRuleId}.");

    public static NeutronException DuplicateSecurityGroupRuleInPost() =>
        Conflict("DuplicateSecurityGroupRuleInPost", "Duplicate Security Group Rule in POST.");

    public static NeutronException SecurityGroupRuleInvalidProtocol(string protocol) =>
        BadRequest("SecurityGroupRuleInvalidProtocol",
            $"Security group rule protocol {protocol} not supported. Only protocol values [None, {string.Join(", ", ProtocolNames.Names.Select(n => $"'{n}'"))}] and their integer representation (0 to 255) are supported.");

    public static NeutronException SecurityGroupInvalidPortValue(string port) =>
        BadRequest("SecurityGroupInvalidPortValue", $"Invalid value for port {port}");

    public static NeutronException SecurityGroupInvalidPortRange() =>
        BadRequest("SecurityGroupInvalidPortRange", "For TCP/UDP protocols, port_range_min must be <= port_range_max");

    public static NeutronException SecurityGroupInvalidIcmpValue(string field, string attribute, int value) =>
        BadRequest("SecurityGroupInvalidIcmpValue", $"Invalid value for ICMP {field} ({attribute}) {value}. It must be 0 to 255.");

    public static NeutronException SecurityGroupMissingIcmpType(int code) =>
        BadRequest("SecurityGroupMissingIcmpType", $"ICMP code (port-range-max) {code} is provided but ICMP type (port-range-min) is missing.");

    public static NeutronException SecurityGroupProtocolRequiredWithPorts() =>
        BadRequest("SecurityGroupProtocolRequiredWithPorts", "Must also specify protocol if port range is given.");

    public static NeutronException SecurityGroupInvalidProtocolForPort(string protocol) =>
        BadRequest("SecurityGroupInvalidProtocolForPort",
            $"Invalid protocol {protocol} for port range, only supported for DCCP, SCTP, TCP, UDP, UDPLITE protocols.");

    public static NeutronException SecurityGroupEthertypeConflictWithProtocol(Ethertype ethertype, string protocol) =>
        BadRequest("SecurityGroupEthertypeConflictWithProtocol", $"Invalid ethertype {ethertype.ToNeutron()} for protocol {protocol}.");

    public static NeutronException SecurityGroupRuleParameterConflict(Ethertype ethertype, string cidr) =>
        BadRequest("SecurityGroupRuleParameterConflict", $"Conflicting value ethertype {ethertype.ToNeutron()} for CIDR {cidr}");

    public static NeutronException SecurityGroupMultipleRemoteEntites() =>
        BadRequest("SecurityGroupMultipleRemoteEntites", "Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.");

    public static NeutronException SecurityGroupRuleInvalidEtherType(string ethertype) =>
        BadRequest("SecurityGroupRuleInvalidEtherType", $"Security group rule for ethertype '{ethertype}' not supported. Allowed values are ['IPv4', 'IPv6'].");

    public static NeutronException InvalidCidr(string input) => BadRequest("InvalidCIDR", $"Invalid CIDR {input} given as IP prefix.");

    public static NeutronException SecurityGroupNotSingleGroupRules() =>
        BadRequest("SecurityGroupNotSingleGroupRules", "Only allowed to update rules for one security profile at a time");

    public static NeutronException SecurityGroupRulesNotSingleTenant() =>
        BadRequest("SecurityGroupRulesNotSingleTenant", "Multiple tenant_ids in bulk security group rule create not allowed");

    // ---- Network logs (neutron/services/logapi/common/exceptions.py) ----

    public static NeutronException LogResourceNotFound(Guid id) => NotFound("LogResourceNotFound", $"Log resource {id} could not be found.");

    public static NeutronException InvalidLogResourceType(string resourceType) =>
        BadRequest("InvalidLogResourceType", $"Invalid log resource_type: {resourceType}.");

    /// <summary>Neutron's <c>ResourceNotFound</c>: a log's <c>resource_id</c> that is no security group.</summary>
    public static NeutronException LogResourceReferenceNotFound(Guid id) => NotFound("ResourceNotFound", $"Resource {id} could not be found.");

    /// <summary>Neutron's <c>TargetResourceNotFound</c>: a log's <c>target_id</c> that is no port.</summary>
    public static NeutronException LogTargetNotFound(Guid id) => NotFound("TargetResourceNotFound", $"Target resource {id} could not be found.");

    public static NeutronException InvalidLogResourceConstraint(Guid groupId, Guid portId) =>
        BadRequest("InvalidResourceConstraint",
            $"Invalid resource constraint between resource (security_group {groupId}) and target resource (port {portId}).");
}
