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

            migrationBuilder.CreateIndex(
                name: "IX_Campaign_State_ScheduledFor",
                table: "Campaign",
                columns: new[] { "State", "ScheduledFor" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
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
