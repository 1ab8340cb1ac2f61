using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji.Hub;

namespace KojiStaging.Tests.Diagnostics;

/// <summary>Each Koji fault code becomes the id of Koji's exception class, with the category the error catalog gives it.</summary>
public sealed class KojiFaultIdTests
{
    [Theory]
    [InlineData(1000, "KojiGenericError")]
    [InlineData(1001, "KojiLockError")]
    [InlineData(1002, "KojiAuthError")]
    [InlineData(1003, "KojiTagError")]
    [InlineData(1004, "KojiActionNotAllowed")]
    [InlineData(1005, "KojiBuildError")]
    [InlineData(1006, "KojiAuthLockError")]
    [InlineData(1007, "KojiAuthExpired")]
    [InlineData(1008, "KojiSequenceError")]
    [InlineData(1009, "KojiRetryError")]
    [InlineData(1010, "KojiPreBuildError")]
    [InlineData(1011, "KojiPostBuildError")]
    [InlineData(1012, "KojiBuildrootError")]
    [InlineData(1013, "KojiFunctionDeprecated")]
    [InlineData(1014, "KojiServerOffline")]
    [InlineData(1015, "KojiLiveCDError")]
    [InlineData(1016, "KojiPluginError")]
    [InlineData(1017, "KojiCallbackError")]
    [InlineData(1018, "KojiApplianceError")]
    [InlineData(1019, "KojiParameterError")]
    [InlineData(1020, "KojiImportError")]
    [InlineData(1021, "KojiConfigurationError")]
    [InlineData(1022, "KojiLiveMediaError")]
    [InlineData(1023, "KojiGSSAPIAuthError")]
    [InlineData(4242, "KojiFault")]
    public void A_fault_code_raises_its_catalog_id_and_category(int code, string id)
    {
        var ex = KojiFaultException.FromFault(code, "the hub's text");

        Assert.Equal(id, ex.ErrorId);
        var entry = ErrorCatalog.Find(id);
        Assert.NotNull(entry);
        Assert.Equal(entry.Category, ex.Category);
        Assert.Contains("the hub's text", ex.Message);
    }
}
