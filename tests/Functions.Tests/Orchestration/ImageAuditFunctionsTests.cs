using System.Reflection;
using AdvAudit.Functions.Orchestration;
using Microsoft.Azure.Functions.Worker;

namespace AdvAudit.Functions.Tests.Orchestration;

/// <summary>The Functions host's entry points (CI cannot start the host, so their registration is checked by reflection).</summary>
public sealed class ImageAuditFunctionsTests
{
    private static Dictionary<string, MethodInfo> Functions() => typeof(ImageAuditFunctions).GetMethods()
        .Where(m => m.GetCustomAttribute<FunctionAttribute>() is not null)
        .ToDictionary(m => m.GetCustomAttribute<FunctionAttribute>()!.Name, StringComparer.Ordinal);

    [Fact]
    public void Functions_AreNamedAsTheOrchestrationSchedulesThem()
    {
        Dictionary<string, MethodInfo> sut = Functions();

        Assert.Equal([nameof(AcquireImageSlot), nameof(AttackSlice), nameof(FinalizeImage), OrchestratorNames.ImageAudit, nameof(PrepareImage), nameof(RecordUploadFailure), nameof(ReleaseImageSlot)], sut.Keys.Order(StringComparer.Ordinal));
        Assert.NotNull(sut[OrchestratorNames.ImageAudit].GetParameters()[0].GetCustomAttribute<OrchestrationTriggerAttribute>());
        Assert.All(
            new[] { nameof(PrepareImage), nameof(AttackSlice), nameof(FinalizeImage), nameof(RecordUploadFailure) },
            name => Assert.NotNull(sut[name].GetParameters()[0].GetCustomAttribute<ActivityTriggerAttribute>()));
    }

    [Fact]
    public void ActivityFunctions_TakeAndReturnTheActivitiesTypes()
    {
        Dictionary<string, MethodInfo> sut = Functions();

        Assert.Equal(typeof(IActivity<AdvAudit.Functions.Upload.ImageWorkItem, PrepareResult>).GetMethod("ExecuteAsync")!.ReturnType, sut[nameof(PrepareImage)].ReturnType);
        Assert.Equal(typeof(Task<ImageCheckpoint>), sut[nameof(AttackSlice)].ReturnType);
        Assert.Equal(typeof(FinalizeInput), sut[nameof(FinalizeImage)].GetParameters()[0].ParameterType);
    }
}
