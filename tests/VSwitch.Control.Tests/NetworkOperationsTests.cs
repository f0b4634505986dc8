using VSwitch.Control.Model;

namespace VSwitch.Control.Tests;

public class NetworkOperationsTests
{
    private readonly OperationContext _context = Given.Context();

    [Fact]
    public void Create_Network_StoredWithProjectAndDefaults()
    {
        var change = NetworkOperations.Create(SwitchModel.Empty, new NetworkBody("lab"), _context);
        Assert.Equal(("lab", true, ProjectId.Parse("p1"), Given.Time), (change.Value.Name, change.Value.AdminStateUp, change.Value.ProjectId, change.Value.CreatedAt!.Value));
        Assert.Equal(change.Value, change.Model.Networks[change.Value.Id]);
    }

    [Fact]
    public void Create_ProjectsFirstUse_CreatesTheDefaultGroup()
    {
        var change = NetworkOperations.Create(SwitchModel.Empty, new NetworkBody("lab"), _context);
        Assert.NotNull(change.Model.DefaultGroupOf(_context.ProjectId));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" x")]
    public void Create_InvalidProject_Returns400(string project)
    {
        Given.Refused(400, "HTTPBadRequest", () => NetworkOperations.Create(SwitchModel.Empty, new NetworkBody("lab", ProjectId: project), _context));
    }

    [Fact]
    public void Update_NameAndAdminState_ChangeAndBumpRevision()
    {
        var net = Given.Network(SwitchModel.Empty, _context);
        var updated = NetworkOperations.Update(net.Model, net.Value.Id, new NetworkBody("renamed", AdminStateUp: false), _context).Value;
        Assert.Equal(("renamed", false, 1L), (updated.Name, updated.AdminStateUp, updated.RevisionNumber));
    }

    [Fact]
    public void Create_MtuAndVlanTransparent_DefaultAndAsGiven()
    {
        var plain = NetworkOperations.Create(SwitchModel.Empty, new NetworkBody("a"), _context).Value;
        Assert.Equal((1500, false), (plain.Mtu, plain.VlanTransparent));
        var jumbo = NetworkOperations.Create(SwitchModel.Empty, new NetworkBody("b", Mtu: 9000, VlanTransparent: true), _context).Value;
        Assert.Equal((9000, true), (jumbo.Mtu, jumbo.VlanTransparent));
    }

    [Theory]
    [InlineData(67)]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(9217)]
    public void CreateOrUpdate_MtuOutOfRange_Returns400InvalidInput(int mtu)
    {
        Given.Refused(400, "InvalidInput", () => NetworkOperations.Create(SwitchModel.Empty, new NetworkBody("a", Mtu: mtu), _context));
        var net = Given.Network(SwitchModel.Empty, _context);
        Given.Refused(400, "InvalidInput", () => NetworkOperations.Update(net.Model, net.Value.Id, new NetworkBody(Mtu: mtu), _context));
    }

    [Fact]
    public void Update_Mtu_Changes_VlanTransparentIsReadOnly()
    {
        var net = Given.Network(SwitchModel.Empty, _context);
        Assert.Equal(1400, NetworkOperations.Update(net.Model, net.Value.Id, new NetworkBody(Mtu: 1400), _context).Value.Mtu);
        Given.Refused(400, "HTTPBadRequest", () => NetworkOperations.Update(net.Model, net.Value.Id, new NetworkBody(VlanTransparent: true), _context));
    }

    [Fact]
    public void Update_Project_Returns400()
    {
        var net = Given.Network(SwitchModel.Empty, _context);
        Given.Refused(400, "HTTPBadRequest", () => NetworkOperations.Update(net.Model, net.Value.Id, new NetworkBody(ProjectId: "p2"), _context));
    }

    [Fact]
    public void Delete_WithPorts_Returns409()
    {
        var net = Given.Network(SwitchModel.Empty, _context);
        var port = PortOperations.Create(net.Model, new PortBody("p", net.Value.Id), _context);
        var ex = Given.Refused(409, "NetworkInUse", () => NetworkOperations.Delete(port.Model, net.Value.Id, _context));
        Assert.Contains("There are one or more ports still in use on the network.", ex.Message);
    }

    [Fact]
    public void Delete_Empty_Removes()
    {
        var net = Given.Network(SwitchModel.Empty, _context);
        Assert.Empty(NetworkOperations.Delete(net.Model, net.Value.Id, _context).Networks);
    }

    [Fact]
    public void Delete_Unknown_Returns404()
    {
        Given.Refused(404, "NetworkNotFound", () => NetworkOperations.Delete(SwitchModel.Empty, Guid.NewGuid(), _context));
    }

    [Fact]
    public void Get_OtherProjectsNetworkAsNonAdmin_Returns404()
    {
        var net = Given.Network(SwitchModel.Empty, _context);
        Given.Refused(404, "NetworkNotFound", () => NetworkOperations.Get(net.Model, net.Value.Id, Given.Context("p2", admin: false)));
    }
}
