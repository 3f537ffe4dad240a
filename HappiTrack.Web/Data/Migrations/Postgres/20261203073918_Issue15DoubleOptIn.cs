using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HappiTrack.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Issue15DoubleOptIn : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "OptInRequestSource",
                table: "Contacts",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "OptInRequestedAt",
                table: "Contacts",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "Pending",
                table: "ConsentHistory",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "OptInRequestSource",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "OptInRequestedAt",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "Pending",
                table: "ConsentHistory");
        }
    }
}
