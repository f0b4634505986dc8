namespace VSwitch.Control.Model;

/// <summary>
/// Neutron's bulk create (<c>{"networks": [...]}</c>, <c>{"ports": [...]}</c>, <c>{"security_groups": [...]}</c>): the
/// objects are created one after the other on the model the previous one left, so a later object may not clash with an
/// earlier one (the same MAC, a second <c>default</c> group), and the first refusal refuses the whole request: one
/// change, all or nothing.
/// </summary>
public static class BulkCreate
{
    public static ModelChange<IReadOnlyList<T>> All<TBody, T>(
        SwitchModel model, IReadOnlyList<TBody> requests, Func<SwitchModel, TBody, ModelChange<T>> create)
    {
        var created = new List<T>(requests.Count);
        foreach (var request in requests)
        {
            var change = create(model, request);
            model = change.Model;
            created.Add(change.Value);
        }
        return new ModelChange<IReadOnlyList<T>>(model, created);
    }
}
