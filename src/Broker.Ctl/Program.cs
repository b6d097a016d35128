using Broker.Ctl;

return await BrokerCtl.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
