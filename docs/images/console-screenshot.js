// Makes docs/images/console-queues.png: the Artemis console's queue list of one node.
// Needs Debian's chromium and playwright-core (outside the repository):
//   apt-get install -y --no-install-recommends chromium
//   mkdir -p /tmp/shot && cd /tmp/shot && npm install playwright-core@1
//   NODE_PATH=/tmp/shot/node_modules node docs/images/console-screenshot.js \
//       http://127.0.0.1:8162 "$RFORK_ADMIN_PASSWORD" docs/images/console-queues.png
const { chromium } = require('playwright-core');
const [url, password, out] = process.argv.slice(2);
(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 720 } });
  await page.goto(url + '/console/', { waitUntil: 'load' });
  await page.waitForSelector('input[type="password"]', { timeout: 30000 });
  await page.fill('input[type="text"]', 'admin');
  await page.fill('input[type="password"]', password);
  await page.click('button[type="submit"]');
  await page.waitForTimeout(4000);
  await page.getByRole('tab', { name: 'Queues' }).first().click();
  await page.waitForTimeout(3000);
  // the notification queues' long filters push the rest down: hide that column
  await page.getByText('Manage Columns').click();
  await page.waitForTimeout(1000);
  await page.getByRole('dialog').getByLabel('Filter', { exact: true }).first().uncheck();
  await page.getByRole('dialog').getByRole('button', { name: /save/i }).click();
  await page.waitForTimeout(1500);
  await page.screenshot({ path: out, fullPage: true });
  console.log('saved', out);
  await browser.close();
})().catch(e => { console.error(e); process.exit(1); });
