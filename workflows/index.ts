export { mediaJob } from './job';
export { webhookDelivery } from './webhook';
