namespace VSwitch.Control.Persistence;

/// <summary>
/// The state database cannot be used: it is corrupt, not a SQLite file, written by a newer <c>vswitchd</c>, or the
/// state directory cannot be opened. The message says which file and what to do; the file has not been touched.
/// </summary>
public sealed class StateStoreException(string message, Exception? inner = null) : Exception(message, inner);
