using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Koji.Hub;

/// <summary>
/// An XML-RPC fault returned by a Koji hub. <see cref="StagingException.ErrorId"/> is "Koji" + the name of
/// Koji's exception class (koji/__init__.py), e.g. "KojiGenericError" for fault 1000; a code Koji does not
/// define gives "KojiFault". The derived types follow Koji's class hierarchy, so
/// <c>catch (KojiAuthErrorException)</c> also catches 1006–1009 and 1023 as Koji's <c>except AuthError</c> does.
/// </summary>
public class KojiFaultException : StagingException
{
    public KojiFaultException(int faultCode, string faultString, IReadOnlyList<string>? traceback = null)
        : this("KojiFault", StagingErrorCategory.NotSpecified, faultCode, faultString, traceback) { }

    protected KojiFaultException(string errorId, StagingErrorCategory category, int faultCode, string faultString,
        IReadOnlyList<string>? traceback)
        : base(errorId, category, $"Koji hub fault {faultCode} ({errorId[4..]}): {faultString}")
    {
        FaultCode = faultCode;
        FaultString = SecretRedactor.Redact(faultString);
        Traceback = traceback?.Select(SecretRedactor.Redact).ToList();
    }

    public int FaultCode { get; }
    public string FaultString { get; }
    /// <summary>The hub's traceback lines when it sent one (faults inside multiCall do).</summary>
    public IReadOnlyList<string>? Traceback { get; }

    /// <summary>The typed exception for a fault code (Koji's convertFault).</summary>
    public static KojiFaultException FromFault(int code, string faultString, IReadOnlyList<string>? traceback = null) => code switch
    {
        1000 => new KojiGenericErrorException(faultString, traceback),
        1001 => new KojiLockErrorException(faultString, traceback),
        1002 => new KojiAuthErrorException(faultString, traceback),
        1003 => new KojiTagErrorException(faultString, traceback),
        1004 => new KojiActionNotAllowedException(faultString, traceback),
        1005 => new KojiBuildErrorException(faultString, traceback),
        1006 => new KojiAuthLockErrorException(faultString, traceback),
        1007 => new KojiAuthExpiredException(faultString, traceback),
        1008 => new KojiSequenceErrorException(faultString, traceback),
        1009 => new KojiRetryErrorException(faultString, traceback),
        1010 => new KojiPreBuildErrorException(faultString, traceback),
        1011 => new KojiPostBuildErrorException(faultString, traceback),
        1012 => new KojiBuildrootErrorException(faultString, traceback),
        1013 => new KojiFunctionDeprecatedException(faultString, traceback),
        1014 => new KojiServerOfflineException(faultString, traceback),
        1015 => new KojiLiveCDErrorException(faultString, traceback),
        1016 => new KojiPluginErrorException(faultString, traceback),
        1017 => new KojiCallbackErrorException(faultString, traceback),
        1018 => new KojiApplianceErrorException(faultString, traceback),
        1019 => new KojiParameterErrorException(faultString, traceback),
        1020 => new KojiImportErrorException(faultString, traceback),
        1021 => new KojiConfigurationErrorException(faultString, traceback),
        1022 => new KojiLiveMediaErrorException(faultString, traceback),
        1023 => new KojiGSSAPIAuthErrorException(faultString, traceback),
        _ => new KojiFaultException(code, faultString, traceback),
    };
}

#pragma warning disable CS1591
public class KojiGenericErrorException : KojiFaultException
{
    public KojiGenericErrorException(string s, IReadOnlyList<string>? tb = null) : this("KojiGenericError", StagingErrorCategory.InvalidOperation, 1000, s, tb) { }
    protected KojiGenericErrorException(string id, StagingErrorCategory c, int code, string s, IReadOnlyList<string>? tb) : base(id, c, code, s, tb) { }
}

public class KojiLockErrorException : KojiGenericErrorException
{
    public KojiLockErrorException(string s, IReadOnlyList<string>? tb = null) : base("KojiLockError", StagingErrorCategory.ResourceBusy, 1001, s, tb) { }
}

public class KojiAuthErrorException : KojiGenericErrorException
{
    public KojiAuthErrorException(string s, IReadOnlyList<string>? tb = null) : this("KojiAuthError", 1002, s, tb) { }
    protected KojiAuthErrorException(string id, int code, string s, IReadOnlyList<string>? tb) : base(id, StagingErrorCategory.AuthenticationError, code, s, tb) { }
}

public class KojiTagErrorException : KojiGenericErrorException
{
    public KojiTagErrorException(string s, IReadOnlyList<string>? tb = null) : base("KojiTagError", StagingErrorCategory.InvalidOperation, 1003, s, tb) { }
}

public class KojiActionNotAllowedException : KojiGenericErrorException
{
    public KojiActionNotAllowedException(string s, IReadOnlyList<string>? tb = null) : base("KojiActionNotAllowed", StagingErrorCategory.PermissionDenied, 1004, s, tb) { }
}

public class KojiBuildErrorException : KojiGenericErrorException
{
    public KojiBuildErrorException(string s, IReadOnlyList<string>? tb = null) : this("KojiBuildError", 1005, s, tb) { }
    protected KojiBuildErrorException(string id, int code, string s, IReadOnlyList<string>? tb) : base(id, StagingErrorCategory.InvalidOperation, code, s, tb) { }
}

public sealed class KojiAuthLockErrorException(string s, IReadOnlyList<string>? tb = null) : KojiAuthErrorException("KojiAuthLockError", 1006, s, tb);
public sealed class KojiAuthExpiredException(string s, IReadOnlyList<string>? tb = null) : KojiAuthErrorException("KojiAuthExpired", 1007, s, tb);
public sealed class KojiSequenceErrorException(string s, IReadOnlyList<string>? tb = null) : KojiAuthErrorException("KojiSequenceError", 1008, s, tb);
public sealed class KojiRetryErrorException(string s, IReadOnlyList<string>? tb = null) : KojiAuthErrorException("KojiRetryError", 1009, s, tb);
public sealed class KojiGSSAPIAuthErrorException(string s, IReadOnlyList<string>? tb = null) : KojiAuthErrorException("KojiGSSAPIAuthError", 1023, s, tb);
public sealed class KojiPreBuildErrorException(string s, IReadOnlyList<string>? tb = null) : KojiBuildErrorException("KojiPreBuildError", 1010, s, tb);
public sealed class KojiPostBuildErrorException(string s, IReadOnlyList<string>? tb = null) : KojiBuildErrorException("KojiPostBuildError", 1011, s, tb);
public sealed class KojiBuildrootErrorException(string s, IReadOnlyList<string>? tb = null) : KojiBuildErrorException("KojiBuildrootError", 1012, s, tb);
public sealed class KojiFunctionDeprecatedException(string s, IReadOnlyList<string>? tb = null) : KojiGenericErrorException("KojiFunctionDeprecated", StagingErrorCategory.InvalidOperation, 1013, s, tb);
public sealed class KojiServerOfflineException(string s, IReadOnlyList<string>? tb = null) : KojiGenericErrorException("KojiServerOffline", StagingErrorCategory.ResourceUnavailable, 1014, s, tb);
public sealed class KojiLiveCDErrorException(string s, IReadOnlyList<string>? tb = null) : KojiGenericErrorException("KojiLiveCDError", StagingErrorCategory.InvalidOperation, 1015, s, tb);

public class KojiPluginErrorException : KojiGenericErrorException
{
    public KojiPluginErrorException(string s, IReadOnlyList<string>? tb = null) : this("KojiPluginError", 1016, s, tb) { }
    protected KojiPluginErrorException(string id, int code, string s, IReadOnlyList<string>? tb) : base(id, StagingErrorCategory.InvalidOperation, code, s, tb) { }
}

public sealed class KojiCallbackErrorException(string s, IReadOnlyList<string>? tb = null) : KojiPluginErrorException("KojiCallbackError", 1017, s, tb);
public sealed class KojiApplianceErrorException(string s, IReadOnlyList<string>? tb = null) : KojiGenericErrorException("KojiApplianceError", StagingErrorCategory.InvalidOperation, 1018, s, tb);
public sealed class KojiParameterErrorException(string s, IReadOnlyList<string>? tb = null) : KojiGenericErrorException("KojiParameterError", StagingErrorCategory.InvalidArgument, 1019, s, tb);
public sealed class KojiImportErrorException(string s, IReadOnlyList<string>? tb = null) : KojiGenericErrorException("KojiImportError", StagingErrorCategory.InvalidData, 1020, s, tb);
public sealed class KojiConfigurationErrorException(string s, IReadOnlyList<string>? tb = null) : KojiGenericErrorException("KojiConfigurationError", StagingErrorCategory.InvalidOperation, 1021, s, tb);
public sealed class KojiLiveMediaErrorException(string s, IReadOnlyList<string>? tb = null) : KojiGenericErrorException("KojiLiveMediaError", StagingErrorCategory.InvalidOperation, 1022, s, tb);
#pragma warning restore CS1591
