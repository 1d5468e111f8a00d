using FuncIngest.TestSupport.Azurite;

[assembly: AssemblyFixture(typeof(AzuriteFixture))]
