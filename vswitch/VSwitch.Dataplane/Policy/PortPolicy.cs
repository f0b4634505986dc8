namespace VSwitch.Dataplane.Policy;

/// <summary>
/// Everything the data path enforces for one port with port security: the anti-spoofing address set and the compiled
/// security-group rules of each direction.
/// </summary>
/// <remarks>
/// A port without port security has no <see cref="PortPolicy"/> (null in its <c>SwitchPort</c>): nothing is filtered.
/// Rule indices returned by the classifiers map to global rule-counter slots through <see cref="IngressRuleSlots"/> and
/// <see cref="EgressRuleSlots"/>, so that hit counters survive recompilation.
/// </remarks>
/// <param name="Addresses">Sources the port may use.</param>
/// <param name="Stateful">The port's groups are stateful: allowed connections are tracked and their replies pass.</param>
/// <param name="Ingress">Rules for traffic toward the VM (matched against the source).</param>
/// <param name="Egress">Rules for traffic from the VM (matched against the destination).</param>
/// <param name="IngressRuleSlots">Counter slot of each ingress rule index.</param>
/// <param name="EgressRuleSlots">Counter slot of each egress rule index.</param>
public sealed record PortPolicy(
    PortAddresses Addresses,
    bool Stateful,
    CompiledClassifier Ingress,
    CompiledClassifier Egress,
    int[] IngressRuleSlots,
    int[] EgressRuleSlots);
