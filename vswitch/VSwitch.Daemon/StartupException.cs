namespace VSwitch.Daemon;

/// <summary>
/// <c>vswitchd</c> cannot start, for a reason the operator can act on: the message is the one line it prints on stderr
/// (after <c>vswitchd: </c>), naming the option or path at fault; the process then exits non-zero.
/// </summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
