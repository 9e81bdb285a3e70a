using AdvAudit.Functions;
using Microsoft.Extensions.Hosting;

IHost host = new HostBuilder()
    .ConfigureFunctionsWorkerDefaults()
    .ConfigureServices((context, services) => services.AddAdvAudit(context.Configuration))
    .Build();

await host.RunAsync().ConfigureAwait(false);
