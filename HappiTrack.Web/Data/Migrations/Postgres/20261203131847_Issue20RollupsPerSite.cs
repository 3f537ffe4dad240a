using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HappiTrack.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Issue20RollupsPerSite : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_AnalyticsVisitorDays",
                table: "AnalyticsVisitorDays");

            migrationBuilder.DropPrimaryKey(
                name: "PK_AnalyticsProductDays",
                table: "AnalyticsProductDays");

            migrationBuilder.DropPrimaryKey(
                name: "PK_AnalyticsHeatmapDays",
                table: "AnalyticsHeatmapDays");

            migrationBuilder.DropPrimaryKey(
                name: "PK_AnalyticsCartAddDays",
                table: "AnalyticsCartAddDays");

            migrationBuilder.AddColumn<int>(
                name: "SiteId",
                table: "AnalyticsVisitorDays",
                type: "integer",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<bool>(
                name: "RolledUpPerSite",
                table: "AnalyticsRollupState",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "SiteId",
                table: "AnalyticsProductDays",
                type: "integer",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<int>(
                name: "SiteId",
                table: "AnalyticsHeatmapDays",
                type: "integer",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<int>(
                name: "SiteId",
                table: "AnalyticsCartAddDays",
                type: "integer",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddPrimaryKey(
                name: "PK_AnalyticsVisitorDays",
                table: "AnalyticsVisitorDays",
                columns: new[] { "Day", "SiteId", "VisitorId" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_AnalyticsProductDays",
                table: "AnalyticsProductDays",
                columns: new[] { "Day", "SiteId", "ProductId", "Type" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_AnalyticsHeatmapDays",
                table: "AnalyticsHeatmapDays",
                columns: new[] { "Day", "SiteId", "Path" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_AnalyticsCartAddDays",
                table: "AnalyticsCartAddDays",
                columns: new[] { "Day", "SiteId", "VisitorId", "ProductId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_AnalyticsVisitorDays",
                table: "AnalyticsVisitorDays");

            migrationBuilder.DropPrimaryKey(
                name: "PK_AnalyticsProductDays",
                table: "AnalyticsProductDays");

            migrationBuilder.DropPrimaryKey(
                name: "PK_AnalyticsHeatmapDays",
                table: "AnalyticsHeatmapDays");

            migrationBuilder.DropPrimaryKey(
                name: "PK_AnalyticsCartAddDays",
                table: "AnalyticsCartAddDays");

            migrationBuilder.DropColumn(
                name: "SiteId",
                table: "AnalyticsVisitorDays");

            migrationBuilder.DropColumn(
                name: "RolledUpPerSite",
                table: "AnalyticsRollupState");

            migrationBuilder.DropColumn(
                name: "SiteId",
                table: "AnalyticsProductDays");

            migrationBuilder.DropColumn(
                name: "SiteId",
                table: "AnalyticsHeatmapDays");

            migrationBuilder.DropColumn(
                name: "SiteId",
                table: "AnalyticsCartAddDays");

            migrationBuilder.AddPrimaryKey(
                name: "PK_AnalyticsVisitorDays",
                table: "AnalyticsVisitorDays",
                columns: new[] { "Day", "VisitorId" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_AnalyticsProductDays",
                table: "AnalyticsProductDays",
                columns: new[] { "Day", "ProductId", "Type" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_AnalyticsHeatmapDays",
                table: "AnalyticsHeatmapDays",
                columns: new[] { "Day", "Path" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_AnalyticsCartAddDays",
                table: "AnalyticsCartAddDays",
                columns: new[] { "Day", "VisitorId", "ProductId" });
        }
    }
}
