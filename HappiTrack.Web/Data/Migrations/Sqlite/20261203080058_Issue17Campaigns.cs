using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HappiTrack.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Issue17Campaigns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "CancelledAt",
                table: "Campaign",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CancelledBy",
                table: "Campaign",
                type: "TEXT",
                maxLength: 256,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "IsDemo",
                table: "Campaign",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateTime>(
                name: "ScheduledFor",
                table: "Campaign",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "StartedAt",
                table: "Campaign",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "State",
                table: "Campaign",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "sent");

            migrationBuilder.CreateTable(
                name: "ContactNotes",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ContactId = table.Column<int>(type: "INTEGER", nullable: false),
                    Text = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ContactNotes", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ContactNotes_Contacts_ContactId",
                        column: x => x.ContactId,
                        principalTable: "Contacts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Campaign_State_ScheduledFor",
                table: "Campaign",
                columns: new[] { "State", "ScheduledFor" });

            migrationBuilder.CreateIndex(
                name: "IX_ContactNotes_ContactId_CreatedAt",
                table: "ContactNotes",
                columns: new[] { "ContactId", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ContactNotes");

            migrationBuilder.DropIndex(
                name: "IX_Campaign_State_ScheduledFor",
                table: "Campaign");

            migrationBuilder.DropColumn(
                name: "CancelledAt",
                table: "Campaign");

            migrationBuilder.DropColumn(
                name: "CancelledBy",
                table: "Campaign");

            migrationBuilder.DropColumn(
                name: "IsDemo",
                table: "Campaign");

            migrationBuilder.DropColumn(
                name: "ScheduledFor",
                table: "Campaign");

            migrationBuilder.DropColumn(
                name: "StartedAt",
                table: "Campaign");

            migrationBuilder.DropColumn(
                name: "State",
                table: "Campaign");
        }
    }
}
