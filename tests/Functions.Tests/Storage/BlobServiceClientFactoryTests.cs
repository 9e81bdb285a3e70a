using AdvAudit.Functions.Storage;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;

namespace AdvAudit.Functions.Tests.Storage;

public class BlobServiceClientFactoryTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key.Replace("__", ":", StringComparison.Ordinal), v.Value))).Build();

    [Fact]
    public void Create_DevelopmentStorage_PointsAtAzurite()
    {
        BlobServiceClient sut = BlobServiceClientFactory.Create(Config(("AuditStorage", "UseDevelopmentStorage=true")), "AuditStorage");

        Assert.Equal("devstoreaccount1", sut.AccountName);
        Assert.Equal("http://127.0.0.1:10000/devstoreaccount1", sut.Uri.ToString().TrimEnd('/'));
    }

    [Theory]
    [InlineData("AuditStorage__serviceUri")]
    [InlineData("AuditStorage__blobServiceUri")]
    public void Create_ServiceUri_UsesTheIdentityEndpoint(string setting)
    {
        BlobServiceClient sut = BlobServiceClientFactory.Create(Config((setting, "https://acct.blob.core.windows.net"), ("AuditStorage__credential", "managedidentity"), ("AuditStorage__clientId", "00000000-0000-0000-0000-000000000001")), "AuditStorage");

        Assert.Equal("https://acct.blob.core.windows.net/", sut.Uri.ToString());
        Assert.Equal("acct", sut.AccountName);
    }

    [Fact]
    public void Create_AccountName_BuildsThePublicEndpoint()
    {
        BlobServiceClient sut = BlobServiceClientFactory.Create(Config(("AuditStorage__accountName", "acct2")), "AuditStorage");

        Assert.Equal("https://acct2.blob.core.windows.net/", sut.Uri.ToString());
    }

    [Fact]
    public void Create_NothingConfigured_ThrowsWithTheSettingsToSet()
    {
        var error = Assert.Throws<InvalidOperationException>(() => BlobServiceClientFactory.Create(Config(), "AuditStorage"));

        Assert.Contains("UseDevelopmentStorage=true", error.Message, StringComparison.Ordinal);
        Assert.Contains("AuditStorage__serviceUri", error.Message, StringComparison.Ordinal);
        Assert.False(BlobServiceClientFactory.IsConfigured(Config(), "AuditStorage"));
    }

    [Fact]
    public void Create_RelativeServiceUri_Throws()
    {
        var error = Assert.Throws<InvalidOperationException>(() => BlobServiceClientFactory.Create(Config(("AuditStorage__serviceUri", "acct.blob")), "AuditStorage"));

        Assert.Contains("absolute https URL", error.Message, StringComparison.Ordinal);
    }
}
