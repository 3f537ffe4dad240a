using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HappiTrack.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Issue20Sites : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Tags_Slug",
                table: "Tags");

            migrationBuilder.DropIndex(
                name: "IX_Products_Slug",
                table: "Products");

            migrationBuilder.DropIndex(
                name: "IX_Categories_Slug",
                table: "Categories");

            migrationBuilder.AddColumn<int>(
                name: "SiteId",
                table: "Visitors",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<int>(
                name: "SiteId",
                table: "Tags",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<string>(
                name: "ExternalImageUrl",
                table: "Products",
                type: "TEXT",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ExternalUrl",
                table: "Products",
                type: "TEXT",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "SiteId",
                table: "Products",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<DateTime>(
                name: "CancelledAt",
                table: "Orders",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ExternalId",
                table: "Orders",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "SiteId",
                table: "Orders",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<int>(
                name: "SiteId",
                table: "Events",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<int>(
                name: "SiteId",
                table: "Contacts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<int>(
                name: "SiteId",
                table: "Categories",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<int>(
                name: "SiteId",
                table: "Carts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.CreateTable(
                name: "SiteIdempotencyKeys",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SiteId = table.Column<int>(type: "INTEGER", nullable: false),
                    Key = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    BodyHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    StatusCode = table.Column<int>(type: "INTEGER", nullable: false),
                    Response = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SiteIdempotencyKeys", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SiteRequests",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SiteId = table.Column<int>(type: "INTEGER", nullable: false),
                    ReceivedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    EventType = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    IdempotencyKey = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    StatusCode = table.Column<int>(type: "INTEGER", nullable: false),
                    Verdict = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    IsTest = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SiteRequests", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Sites",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Key = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    AllowedOrigins = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    TimeZone = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ProtectedSecret = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    SecretRotatedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    RevokedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    CartRestoreUrlTemplate = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Sites", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Tags_SiteId_Slug",
                table: "Tags",
                columns: new[] { "SiteId", "Slug" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Products_SiteId_Slug",
                table: "Products",
                columns: new[] { "SiteId", "Slug" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Orders_SiteId_ExternalId",
                table: "Orders",
                columns: new[] { "SiteId", "ExternalId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Orders_SiteId_PlacedAt",
                table: "Orders",
                columns: new[] { "SiteId", "PlacedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Events_SiteId_OccurredAt",
                table: "Events",
                columns: new[] { "SiteId", "OccurredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_SiteId",
                table: "Contacts",
                column: "SiteId");

            migrationBuilder.CreateIndex(
                name: "IX_Categories_SiteId_Slug",
                table: "Categories",
                columns: new[] { "SiteId", "Slug" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SiteIdempotencyKeys_CreatedAt",
                table: "SiteIdempotencyKeys",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_SiteIdempotencyKeys_SiteId_Key",
                table: "SiteIdempotencyKeys",
                columns: new[] { "SiteId", "Key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SiteRequests_SiteId_Id",
                table: "SiteRequests",
                columns: new[] { "SiteId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Sites_Key",
                table: "Sites",
                column: "Key",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "SiteIdempotencyKeys");

            migrationBuilder.DropTable(
                name: "SiteRequests");

            migrationBuilder.DropTable(
                name: "Sites");

            migrationBuilder.DropIndex(
                name: "IX_Tags_SiteId_Slug",
                table: "Tags");

            migrationBuilder.DropIndex(
                name: "IX_Products_SiteId_Slug",
                table: "Products");

            migrationBuilder.DropIndex(
                name: "IX_Orders_SiteId_ExternalId",
                table: "Orders");

            migrationBuilder.DropIndex(
                name: "IX_Orders_SiteId_PlacedAt",
                table: "Orders");

            migrationBuilder.DropIndex(
                name: "IX_Events_SiteId_OccurredAt",
                table: "Events");

            migrationBuilder.DropIndex(
                name: "IX_Contacts_SiteId",
                table: "Contacts");

            migrationBuilder.DropIndex(
                name: "IX_Categories_SiteId_Slug",
                table: "Categories");

            migrationBuilder.DropColumn(
                name: "SiteId",
                table: "Visitors");

            migrationBuilder.DropColumn(
                name: "SiteId",
                table: "Tags");

            migrationBuilder.DropColumn(
                name: "ExternalImageUrl",
                table: "Products");

            migrationBuilder.DropColumn(
                name: "ExternalUrl",
                table: "Products");

            migrationBuilder.DropColumn(
                name: "SiteId",
                table: "Products");

            migrationBuilder.DropColumn(
                name: "CancelledAt",
                table: "Orders");

            migrationBuilder.DropColumn(
                name: "ExternalId",
                table: "Orders");

            migrationBuilder.DropColumn(
                name: "SiteId",
                table: "Orders");

            migrationBuilder.DropColumn(
                name: "SiteId",
                table: "Events");

            migrationBuilder.DropColumn(
                name: "SiteId",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "SiteId",
                table: "Categories");

            migrationBuilder.DropColumn(
                name: "SiteId",
                table: "Carts");

            migrationBuilder.CreateIndex(
                name: "IX_Tags_Slug",
                table: "Tags",
                column: "Slug",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Products_Slug",
                table: "Products",
                column: "Slug",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Categories_Slug",
                table: "Categories",
                column: "Slug",
                unique: true);
        }
    }
}
