using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HappiTrack.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Issue14ClientEventIds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ClientEventId",
                table: "Events",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Events_VisitorId_ClientEventId",
                table: "Events",
                columns: new[] { "VisitorId", "ClientEventId" },
                unique: true,
                filter: "\"ClientEventId\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Events_VisitorId_ClientEventId",
                table: "Events");

            migrationBuilder.DropColumn(
                name: "ClientEventId",
                table: "Events");
        }
    }
}
