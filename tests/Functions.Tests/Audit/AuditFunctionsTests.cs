using System.Reflection;
using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Orchestration;
using Microsoft.Azure.Functions.Worker;

namespace AdvAudit.Functions.Tests.Audit;

/// <summary>The bulk audit's entry points (checked by reflection: CI cannot start the Functions host).</summary>
public sealed class AuditFunctionsTests
{
    [Fact]
    public void Functions_AreNamedAsScheduled_AndTheHttpRoutesAreAudits()
    {
        Dictionary<string, MethodInfo> sut = typeof(AuditFunctions).GetMethods()
            .Where(m => m.GetCustomAttribute<FunctionAttribute>() is not null)
            .ToDictionary(m => m.GetCustomAttribute<FunctionAttribute>()!.Name, StringComparer.Ordinal);

        Assert.Equal(
            [OrchestratorNames.Audit, nameof(AuditFunctions.GetAudit), nameof(ListAuditImages), nameof(LoadAuditChunk), nameof(RecordImageFailure), nameof(AuditFunctions.ResumeAudit), nameof(AuditFunctions.StartAudit), nameof(SummarizeAuditChunk), nameof(WriteAuditSummary)],
            sut.Keys.Order(StringComparer.Ordinal));
        Assert.NotNull(sut[OrchestratorNames.Audit].GetParameters()[0].GetCustomAttribute<OrchestrationTriggerAttribute>());
        HttpTriggerAttribute post = sut["StartAudit"].GetParameters()[0].GetCustomAttribute<HttpTriggerAttribute>()!;
        HttpTriggerAttribute get = sut["GetAudit"].GetParameters()[0].GetCustomAttribute<HttpTriggerAttribute>()!;
        Assert.Equal(("audits", "post"), (post.Route, post.Methods!.Single()));
        HttpTriggerAttribute resume = sut["ResumeAudit"].GetParameters()[0].GetCustomAttribute<HttpTriggerAttribute>()!;
        Assert.Equal(("audits/{id}", "get"), (get.Route, get.Methods!.Single()));
        Assert.Equal(("audits/{id}/resume", "post"), (resume.Route, resume.Methods!.Single()));
    }
}
