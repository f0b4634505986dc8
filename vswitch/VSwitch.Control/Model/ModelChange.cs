namespace VSwitch.Control.Model;

/// <summary>The result of an operation that makes or changes one object: the new model and the object as stored.</summary>
/// <param name="Model">The complete new model.</param>
/// <param name="Value">The created or updated object (what the API returns).</param>
public sealed record ModelChange<T>(SwitchModel Model, T Value);
